import { str } from "../core/command.js";
import { UsageError } from "../core/errors.js";
import { columns, truncate } from "../core/format.js";

/** @type {import("../core/command.js").CommandModule} */
export default {
  usage: ["search [<query>] [--limit <n>] [--json]"],
  description: "Finds skills whose name, publisher or description contains the query; no query lists all.",
  options: {
    limit: { type: "string", arg: "<n>", description: "How many results (1-100, default 20)" },
  },
  common: ["registry", "json"],
  examples: ["search hello", "search pdf --limit 5", "search --json"],
  async run(ctx) {
    const q = ctx.positionals.join(" ").trim();
    const rawLimit = str(ctx, "limit");
    const limit = rawLimit === undefined ? 20 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      throw new UsageError(`--limit must be a whole number from 1 to 100, not "${rawLimit}".`);
    }
    const registry = await ctx.registry();
    const result = await registry.search({ q: q || undefined, limit });
    ctx.out.data(result);
    if (result.skills.length === 0) {
      ctx.out.line(q ? `No skills match "${q}".` : "The registry has no skills yet.");
      return;
    }
    const rows = [
      ["NAME", "LATEST", "DESCRIPTION"],
      ...result.skills.map((s) => [s.name, s.latest ?? "-", truncate(s.description, 70)]),
    ];
    for (const line of columns(rows)) ctx.out.line(line);
    if (result.nextCursor) ctx.out.line(`(more results: raise --limit or narrow the query)`);
  },
};
