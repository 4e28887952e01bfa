import { bool, expectAtMost, str } from "../core/command.js";
import { UsageError } from "../core/errors.js";
import { readStdin, valueOrPrompt } from "../core/prompt.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["signup --email <email> --handle <handle> [--password <pw> | --password-stdin]"],
  description:
    "Your handle is your publisher scope: the account `acme` publishes @acme/<skill>. Missing values are asked for when stdin is a terminal.",
  options: {
    email: { type: "string", arg: "<email>", description: "Email address" },
    handle: { type: "string", arg: "<handle>", description: "Publisher handle (2-32 of a-z, 0-9 and -)" },
    password: { type: "string", arg: "<password>", description: "Password (8+ characters)" },
    "password-stdin": { type: "boolean", description: "Read the password from stdin" },
  },
  common: ["registry"],
  examples: [
    "signup --email you@example.com --handle acme",
    "signup --email you@example.com --handle acme --password-stdin < password.txt",
  ],
  async run(ctx) {
    expectAtMost(ctx, 0, "no arguments, only options");
    const registry = await ctx.registry();
    if (bool(ctx, "password-stdin") && str(ctx, "password")) {
      throw new UsageError("Use either --password or --password-stdin, not both.");
    }
    const email = await valueOrPrompt(str(ctx, "email"), { flag: "--email", question: "Email: " });
    const handle = await valueOrPrompt(str(ctx, "handle"), { flag: "--handle", question: "Handle: " });
    const password = bool(ctx, "password-stdin")
      ? await readStdin()
      : await valueOrPrompt(str(ctx, "password"), { flag: "--password", question: "Password: ", hidden: true });
    const { publisher } = await registry.signup({ email, handle, password });
    ctx.out.line(`Created the account ${publisher.handle} on ${registry.url}.`);
    ctx.out.line(`Log in next: skild login --handle-or-email ${publisher.handle} --registry ${registry.url}`);
  },
};
