// Starts the real registry Worker with `wrangler dev` on a free port, with its own temp state, for
// tests that drive it over HTTP: startRegistry(opts) → {url, stateDir, sql(command), stop()}.
// The one implementation lives in bench/registry.mjs, which the benchmark shares.
export { freePort, type RegistryServer, startRegistry } from "../../bench/registry.mjs";
