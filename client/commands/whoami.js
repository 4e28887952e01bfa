import { expectAtMost } from "../core/command.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["whoami [--registry <url>] [--json]"],
  description: "Asks the registry who the saved token (or SKILD_TOKEN) belongs to.",
  options: {},
  common: ["registry", "json"],
  examples: ["whoami", "whoami --json"],
  async run(ctx) {
    expectAtMost(ctx, 0, "no arguments");
    const registry = await ctx.registry();
    const { publisher } = await registry.me();
    ctx.out.data({ ...publisher, registry: registry.url });
    ctx.out.line(publisher.handle);
  },
};
