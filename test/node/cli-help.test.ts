import { afterAll, describe, expect, it } from "vitest";
import { COMMANDS } from "../../client/commands/index.js";
import { freePort } from "../helpers/registry-server";
import { type CliSandbox, createSandbox, ROOT, readJsonFile } from "./cli-helpers";

// Help, version and usage errors: no registry needed.
describe("skild --help and usage errors", () => {
  const cli: CliSandbox = createSandbox("http://127.0.0.1:9");
  afterAll(() => cli.cleanup());

  it("prints grouped commands, options and examples like npm/gh", async () => {
    const { code, stdout } = await cli.run(["--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage:\n {2}skild <command> \[options\]/m);
    for (const group of ["Use skills:", "Write and publish skills:", "Account:", "Options:", "Examples:"]) {
      expect(stdout).toContain(group);
    }
    for (const c of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${c.name}\\s+\\S`, "m"));
    expect((await cli.run([])).stdout).toBe(stdout);
  });

  it("has --help on every command, with usage, options and examples", async () => {
    for (const c of COMMANDS) {
      const { code, stdout } = await cli.run([c.name, "--help"]);
      expect(code, c.name).toBe(0);
      expect(stdout, c.name).toContain(c.summary);
      expect(stdout, c.name).toContain(`Usage:\n  skild ${c.name}`);
      expect(stdout, c.name).toContain("-h, --help");
      expect(stdout, c.name).toContain("Examples:");
    }
    expect((await cli.run(["help", "install"])).stdout).toContain("Usage:\n  skild install");
    expect((await cli.run(["i", "-h"])).stdout).toContain("Usage:\n  skild install");
  });

  it("prints the CLI version with --version", async () => {
    const { code, stdout } = await cli.run(["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(readJsonFile<{ version: string }>(`${ROOT}/package.json`).version);
  });

  it("rejects unknown commands and options with exit code 2 and a hint", async () => {
    const unknown = await cli.run(["instal", "@acme/x"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'skild: Unknown command "instal". Did you mean `skild install`? Run `skild --help` for the list.\n',
    );
    const badOption = await cli.run(["list", "--frobnicate"]);
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("Unknown option --frobnicate for skild list");
    const missingValue = await cli.run(["install", "@acme/x", "-t"]);
    expect(missingValue.code).toBe(2);
    expect(missingValue.stderr).toContain("skild install --help");
  });

  it("has no --version for the skill's version on publish and says to use --skill-version", async () => {
    const { code, stderr } = await cli.run(["publish", "--version", "1.0.0"]);
    expect(code).toBe(2);
    expect(stderr).toContain("use --skill-version");
  });

  it("says the naming rule for a bad skill name", async () => {
    const bare = await cli.run(["install", "hello-skill"]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("use @publisher/skill");
    const upper = await cli.run(["install", "@Acme/hello"]);
    expect(upper.code).toBe(2);
    expect(upper.stderr).toContain("a publisher handle is 2-32 characters");
    const platform = await cli.run(["install", "@acme/hello", "-t", "vim"]);
    expect(platform.code).toBe(2);
    expect(platform.stderr).toContain(
      'Unknown platform "vim"; use one of claude, codex, copilot, cursor, opencode, gemini, windsurf, goose, kiro, roo, cline, agents',
    );
  });

  it("explains an unreachable registry in one line", async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { code, stderr } = await cli.run(["search", "x", "--registry", dead]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `skild: Cannot reach the registry at ${dead} (ECONNREFUSED). Is it running? Check --registry or SKILD_REGISTRY_URL.\n`,
    );
  });
});
