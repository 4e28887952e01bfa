// Wrangler runs offline here: no metrics, no Cloudflare API lookups, no banner.
import { createRequire } from "node:module";
import path from "node:path";

export const WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_HIDE_BANNER: "true",
};

export const ROOT = path.resolve(import.meta.dirname, "..");
export const WRANGLER_BIN = createRequire(import.meta.url).resolve("wrangler/bin/wrangler.js");
