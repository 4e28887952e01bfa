import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { TEST_SIGNING_KEY } from "./test/helpers/signing-keys.mjs";

// Two pools in one run: Worker tests inside workerd (real D1/R2 via miniflare), and Node tests that
// start the real Worker the way `npm start` does (one workerd) and drive it over HTTP with the CLI and stock npm clients.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest({
              main: "./worker/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              // The fixed test signing key, passed as the secret binding production gets from `wrangler secret put`.
              miniflare: { bindings: { TEST_MIGRATIONS: migrations, REGISTRY_SIGNING_KEY: TEST_SIGNING_KEY } },
            }),
          ],
          test: {
            name: "worker",
            include: ["test/worker/**/*.test.ts"],
            setupFiles: ["test/worker/setup.ts"],
            sequence: { groupOrder: 0 },
          },
        },
        {
          test: {
            name: "node",
            include: ["test/node/**/*.test.ts", "compat-tests/**/*.test.ts"],
            environment: "node",
            globalSetup: ["test/helpers/build-bundle.ts"],
            setupFiles: ["test/helpers/node-setup.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
            // Each file starts its own Worker; two at a time fits this 2-core machine.
            maxWorkers: 2,
            sequence: { groupOrder: 1 },
          },
        },
      ],
    },
  };
});
