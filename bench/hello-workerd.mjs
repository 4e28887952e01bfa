#!/usr/bin/env node
// The benchmark's ceiling anchor: the hello-world Worker (bench/hello-worker) on ONE workerd through
// Miniflare's API, exactly as scripts/serve.mjs serves the registry (same compatibility settings),
// so "skild / ceiling" compares our routes with the fastest any Worker answers on this runtime.
// PORT and SKILD_INSPECTOR_PORT as for `npm start`; prints "Ready on <url>".
import path from "node:path";
import { Miniflare } from "miniflare";

const dir = path.join(import.meta.dirname, "hello-worker");
const port = Number(process.env.PORT ?? "0");
const inspectorPort = process.env.SKILD_INSPECTOR_PORT ? Number(process.env.SKILD_INSPECTOR_PORT) : undefined;
const mf = new Miniflare({
  name: "skild-bench-hello",
  modules: true,
  scriptPath: path.join(dir, "index.js"),
  modulesRoot: dir,
  compatibilityDate: "2026-05-01",
  compatibilityFlags: ["nodejs_compat"],
  host: "127.0.0.1",
  port,
  inspectorPort,
});
try {
  const url = await mf.ready;
  console.log(`Ready on http://127.0.0.1:${url.port}`);
} catch (err) {
  await mf.dispose().catch(() => {});
  console.error(`hello-workerd: ${/** @type {Error} */ (err).message.split("\n")[0]}`);
  process.exit(1);
}
