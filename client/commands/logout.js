import { expectAtMost } from "../core/command.js";
import { forgetLogin, readAuthFile } from "../core/config.js";
import { CliError } from "../core/errors.js";
import { createRegistryClient } from "../core/registry.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["logout [--registry <url>]"],
  description:
    "Revokes the saved token on the registry, then removes it from ~/.skild. If the registry cannot be reached the token is kept, so it is never left valid but forgotten.",
  options: {},
  common: ["registry"],
  examples: ["logout", "logout --registry https://registry.example.com"],
  async run(ctx) {
    expectAtMost(ctx, 0, "no arguments");
    const registry = await ctx.registry();
    const saved = (await readAuthFile()).registries[registry.url];
    if (!saved) {
      ctx.out.line(`Not logged in to ${registry.url}; nothing to do.`);
      return;
    }
    try {
      // Revoke the saved token itself (not SKILD_TOKEN, which this command does not own).
      await createRegistryClient({ url: registry.url, token: saved.token }).logout();
    } catch (err) {
      // Already revoked or expired: the server no longer honours it, so forgetting it is safe.
      if (!(err instanceof CliError && err.status === 401)) throw err;
    }
    await forgetLogin(registry.url);
    ctx.out.line(`Logged out of ${registry.url} (${saved.handle}); the token is revoked.`);
  },
};
