import { describe, expect, it } from "vitest";
import { skillTarball } from "../helpers/tarball";
import { call, createAccount, json, publish } from "./helpers";

// Regression: entries other than package.json and SKILL.md were never drained, so the tar parser
// stalled and the publish request hung (found by the CLI tests: `skild publish` of a folder with docs/).
describe("publish of a skill with more files than SKILL.md", () => {
  it("reads past files it does not keep", async () => {
    const account = await createAccount();
    const big = "x".repeat(70_000); // more than one gunzip chunk
    const body = await skillTarball({
      name: `@${account.handle}/docs-skill`,
      extra: [
        { path: "package/docs/guide.md", content: "# Guide\n" },
        { path: "package/scripts/big.txt", content: big },
        { path: "package/z-last.md", content: "last" },
      ],
    });
    const res = await publish(account, { skill: "docs-skill", body });
    expect(res.status).toBe(201);
    const version = await json<{ fileCount: number; unpackedSize: number }>(
      await call(`/skills/${account.handle}/docs-skill/versions/1.0.0`),
    );
    expect(version.fileCount).toBe(5);
  });
});
