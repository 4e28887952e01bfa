import { str } from "../core/command.js";
import { CliError, UsageError } from "../core/errors.js";
import { columns } from "../core/format.js";
import { createOrg, getOrg, parseRole, parseScopeName, ROLES, removeMember, setMember } from "../core/orgs.js";

const SUBCOMMANDS = ["create", "ls", "add", "rm"];
/** npm's spellings (`npm org set`, `npm org ls`) work too. */
const ALIASES = /** @type {Record<string, string>} */ ({ list: "ls", set: "add", remove: "rm" });

/**
 * @param {import("../core/command.js").Context} ctx
 * @param {number} count arguments after the subcommand
 * @param {string} usage
 */
function expectArgs(ctx, count, usage) {
  if (ctx.positionals.length - 1 > count) {
    const extra = ctx.positionals.slice(count + 1).map((p) => JSON.stringify(p));
    throw new UsageError(`skild ${usage} takes ${count} argument(s); got also ${extra.join(" ")}.`);
  }
}

/**
 * The orgs of the logged-in account, from `GET /auth/me` (`orgs: [{name, role}]`).
 * @param {import("../core/command.js").Context} ctx
 */
async function listMyOrgs(ctx) {
  const registry = await ctx.registry();
  const me = /** @type {{publisher: {handle: string}, orgs?: {name: string, role: string}[]}} */ (await registry.me());
  if (!Array.isArray(me.orgs)) {
    throw new CliError(`${registry.url} does not list your organisations; name one: skild org ls <org>.`, {
      code: "UNSUPPORTED",
    });
  }
  ctx.out.data({ handle: me.publisher.handle, orgs: me.orgs, registry: registry.url });
  if (me.orgs.length === 0) {
    ctx.out.line(`${me.publisher.handle} is in no organisation. Create one: skild org create <name>`);
    return;
  }
  for (const line of columns(me.orgs.map((o) => [o.name, o.role]))) ctx.out.line(line);
}

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: [
    "org create <org>",
    "org ls [<org>]          (no org: the orgs you belong to)",
    "org add <org> <handle> [--role owner|admin|developer]",
    "org rm <org> <handle>",
  ],
  description: [
    "Organisations share the namespace of user handles: skills published as @<org>/<skill> belong to the",
    "org. Whoever creates an org is its owner. Owners and admins add and remove members and change roles;",
    "developers publish the org's skills. Every member is in the org's `developers` team, which gets",
    "read-write on each new skill, so members can also install the org's private skills after `skild login`.",
    "`add` on an existing member changes their role (default role: developer, as `npm org set`).",
    "Other teams and per-skill grants are managed with npm: `npm team ...`, `npm access grant|revoke ...`.",
  ].join("\n"),
  options: {
    role: { type: "string", arg: "<role>", description: `With add: ${ROLES.join(", ")} (default developer)` },
  },
  common: ["registry", "json"],
  examples: [
    "org create acme-corp",
    "org add acme-corp alice --role admin",
    "org ls acme-corp",
    "org rm acme-corp alice",
    "org ls --json",
  ],
  async run(ctx) {
    const [given] = ctx.positionals;
    if (!given) throw new UsageError(`Say what to do: skild org ${SUBCOMMANDS.join("|")}. Run \`skild org --help\`.`);
    const sub = ALIASES[given] ?? given;
    if (!SUBCOMMANDS.includes(sub)) {
      throw new UsageError(`Unknown subcommand "${given}": use skild org ${SUBCOMMANDS.join("|")}.`);
    }
    if (str(ctx, "role") !== undefined && sub !== "add") throw new UsageError("--role goes with skild org add.");

    if (sub === "ls" && ctx.positionals.length === 1) return listMyOrgs(ctx);

    const org = parseScopeName(ctx.positionals[1], "an org name");
    if (sub === "create") {
      expectArgs(ctx, 1, "org create <org>");
      const registry = await ctx.registry();
      const created = await createOrg(registry, org);
      ctx.out.data({ ...created, registry: registry.url });
      ctx.out.line(`Created the org ${created.org.name} on ${registry.url}; you are its ${created.role}.`);
      ctx.out.line(`Publish to it as @${created.org.name}/<skill>; add members with skild org add ${org} <handle>.`);
      return;
    }
    if (sub === "ls") {
      expectArgs(ctx, 1, "org ls <org>");
      const registry = await ctx.registry();
      const details = await getOrg(registry, org);
      ctx.out.data({ ...details, registry: registry.url });
      ctx.out.line(`${details.org.name} (created ${details.org.createdAt})`);
      if (!details.members) {
        ctx.out.line(`Only members see who is in it${registry.hasToken ? "" : ": skild login first if you are one"}.`);
        return;
      }
      const members = [...details.members].sort(
        (a, b) => ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || a.handle.localeCompare(b.handle),
      );
      for (const line of columns(members.map((m) => [m.handle, m.role]))) ctx.out.line(`  ${line}`);
      if (details.teams?.length) ctx.out.line(`teams: ${details.teams.join(", ")}`);
      return;
    }
    const handle = parseScopeName(ctx.positionals[2], "a handle");
    expectArgs(ctx, 2, `org ${sub} <org> <handle>`);
    const registry = await ctx.registry();
    if (sub === "add") {
      const role = parseRole(str(ctx, "role"));
      const answer = /** @type {{org?: {size?: number}}} */ (await setMember(registry, org, handle, role));
      const size = answer.org?.size;
      ctx.out.data({ org, handle, role, ...(size === undefined ? {} : { size }), registry: registry.url });
      const count = size === undefined ? "" : ` (${size} member${size === 1 ? "" : "s"})`;
      ctx.out.line(`${handle} is now ${role === "admin" ? "an" : "a"} ${role} of ${org}${count}.`);
      return;
    }
    await removeMember(registry, org, handle);
    ctx.out.data({ org, handle, removed: true, registry: registry.url });
    ctx.out.line(`Removed ${handle} from ${org}.`);
  },
};
