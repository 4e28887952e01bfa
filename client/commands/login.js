import { bool, expectAtMost, str } from "../core/command.js";
import { saveLogin } from "../core/config.js";
import { UsageError } from "../core/errors.js";
import { readStdin, valueOrPrompt } from "../core/prompt.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["login --handle-or-email <handle|email> [--password <pw> | --password-stdin]"],
  description:
    "Saves a token for this registry in ~/.skild/registry-auth.json (mode 0600; SKILD_HOME moves it). Later commands use this registry unless --registry or SKILD_REGISTRY_URL says otherwise.",
  options: {
    "handle-or-email": { type: "string", arg: "<id>", description: "Your handle or email" },
    password: { type: "string", arg: "<password>", description: "Password" },
    "password-stdin": { type: "boolean", description: "Read the password from stdin" },
  },
  common: ["registry"],
  examples: [
    "login --handle-or-email acme",
    "login --handle-or-email acme --password-stdin < password.txt",
    "login --registry https://registry.example.com --handle-or-email acme",
  ],
  async run(ctx) {
    expectAtMost(ctx, 0, "no arguments, only options");
    const registry = await ctx.registry();
    if (bool(ctx, "password-stdin") && str(ctx, "password")) {
      throw new UsageError("Use either --password or --password-stdin, not both.");
    }
    const handleOrEmail = await valueOrPrompt(str(ctx, "handle-or-email"), {
      flag: "--handle-or-email",
      question: "Handle or email: ",
    });
    const password = bool(ctx, "password-stdin")
      ? await readStdin()
      : await valueOrPrompt(str(ctx, "password"), { flag: "--password", question: "Password: ", hidden: true });
    const { token, publisher } = await registry.login({ handleOrEmail, password });
    await saveLogin(registry.url, { token, handle: publisher.handle });
    ctx.out.line(`Logged in to ${registry.url} as ${publisher.handle}.`);
  },
};
