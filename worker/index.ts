import { createApp } from "./app";
import { sweepOptionsFromEnv, sweepOrphans } from "./domain/orphan-sweep";
import type { Bindings } from "./env";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * Cron Trigger (wrangler.toml `[triggers] crons`; under `npm start` the launcher calls it on the
   * same schedule): one bounded run of the orphan sweep.
   */
  async scheduled(_controller: ScheduledController, env: Bindings): Promise<void> {
    const result = await sweepOrphans(env.DB, env.ARTIFACTS, sweepOptionsFromEnv(env));
    console.log(`orphan sweep: listed ${result.listed}, deleted ${result.deleted.length}`);
  },
} satisfies ExportedHandler<Bindings>;
