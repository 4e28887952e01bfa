// Vitest global setup for the Node pool: build the production bundle once per test run, before any
// file starts a registry (each start then finds it in the cache instead of building its own).
import { ensureBundle } from "../../scripts/serve.mjs";

export default async function setup() {
  await ensureBundle({ log: (line) => console.log(line) });
}
