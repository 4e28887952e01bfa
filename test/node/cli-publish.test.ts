import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import ssri from "ssri";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import { type CliSandbox, createPublisher, createSandbox, listTree, ROOT, writeSkillFolder } from "./cli-helpers";

type PublishJson = {
  name: string;
  version: string;
  integrity: string;
  files: { path: string; size: number }[];
  distTags?: Record<string, string>;
  dryRun?: boolean;
};

describe("skild init / validate / publish", () => {
  let server: RegistryServer;
  let cli: CliSandbox;
  beforeAll(async () => {
    server = await startRegistry();
    cli = createSandbox(server.url);
    await createPublisher(cli, "acme");
  });
  afterAll(async () => {
    await server?.stop();
    cli?.cleanup();
  });
  const versionOf = async (name: string, spec: string) => {
    const res = await fetch(`${server.url}/skills/${name.slice(1)}/versions/${spec}`);
    return { status: res.status, body: (await res.json()) as { integrity: string; version: string } };
  };

  it("init @scope/name scaffolds a valid skill that publishes without --name", async () => {
    const init = await cli.ok(["init", "@acme/pdf-tools", "--description", "Fill PDF forms: use when asked to."]);
    expect(init.stdout).toContain("Created pdf-tools/SKILL.md and package.json");
    const skillMd = readFileSync(path.join(cli.project, "pdf-tools/SKILL.md"), "utf8");
    expect(skillMd).toMatch(
      /^---\nname: pdf-tools\ndescription: "Fill PDF forms: use when asked to."\nversion: 0.1.0\n---\n/,
    );

    const validate = await cli.ok(["validate", "pdf-tools"]);
    expect(validate.stdout).toContain("✓ pdf-tools: @acme/pdf-tools@0.1.0 is a valid skill (2 files");

    const published = await cli.json<PublishJson>(["publish", "--dir", "pdf-tools"]);
    expect(published).toMatchObject({ name: "@acme/pdf-tools", version: "0.1.0", distTags: { latest: "0.1.0" } });
    expect((await versionOf("@acme/pdf-tools", "0.1.0")).body.integrity).toBe(published.integrity);

    const again = await cli.run(["init", "pdf-tools"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("pdf-tools/SKILL.md already exists");
  });

  it("init with a bare name writes the bare form; publish then asks for --name", async () => {
    await cli.ok(["init", "notes"]);
    expect(readFileSync(path.join(cli.project, "notes/SKILL.md"), "utf8")).toContain("name: notes\n");
    const validate = await cli.ok(["validate", "notes"]);
    expect(validate.stdout).toContain("To publish, pass --name @<your handle>/notes.");
    const publish = await cli.run(["publish", "--dir", "notes"]);
    expect(publish.code).toBe(2);
    expect(publish.stderr).toContain("pass --name @<your handle>/notes");
    const bad = await cli.run(["init", "Bad_Name"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("a skill name is 2-64 characters");
  });

  it("validate reports SKILL.md problems in one line", async () => {
    const noDescription = path.join(cli.project, "no-desc");
    mkdirSync(noDescription);
    writeFileSync(path.join(noDescription, "SKILL.md"), "---\nname: no-desc\n---\n# x\n");
    const r1 = await cli.run(["validate", noDescription]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toBe("skild: SKILL.md frontmatter needs a `description` saying when to use the skill.\n");

    const mismatch = writeSkillFolder(cli.root, { name: "other-name", version: "1.0.0" });
    const r2 = await cli.run(["validate", mismatch, "--name", "@acme/hello"]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('SKILL.md name "other-name" does not match the package @acme/hello');

    const badVersion = writeSkillFolder(cli.root, { name: "hello", version: "v1" });
    const r3 = await cli.run(["validate", badVersion, "--name", "@acme/hello"]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('SKILL.md version "v1" is not a valid semver version');

    const empty = path.join(cli.project, "empty");
    mkdirSync(empty);
    const r4 = await cli.run(["validate", empty]);
    expect(r4.code).toBe(1);
    expect(r4.stderr).toContain("No SKILL.md in");
  });

  it("--dry-run shows the files and integrity and uploads nothing; the real publish sends the same bytes", async () => {
    const dir = writeSkillFolder(cli.root, { name: "dry", version: "1.0.0", files: { "docs/guide.md": "# Guide\n" } });
    const dry = await cli.json<PublishJson>(["publish", "--dir", dir, "--name", "@acme/dry", "--dry-run"]);
    expect(dry).toMatchObject({ name: "@acme/dry", version: "1.0.0", dryRun: true });
    expect(dry.files.map((f) => f.path)).toEqual(["SKILL.md", "docs/guide.md", "package.json"]);
    expect((await versionOf("@acme/dry", "1.0.0")).status).toBe(404);

    const text = await cli.ok(["publish", "--dir", dir, "--name", "@acme/dry", "--dry-run"]);
    expect(text.stdout).toContain("Would publish @acme/dry@1.0.0");
    expect(text.stdout).toContain("docs/guide.md");
    expect(text.stdout).toContain("Dry run: nothing was uploaded.");

    const real = await cli.json<PublishJson>(["publish", "--dir", dir, "--name", "@acme/dry"]);
    expect(real.integrity).toBe(dry.integrity);
    expect((await versionOf("@acme/dry", "1.0.0")).body.integrity).toBe(dry.integrity);
  });

  it("leaves out .git, node_modules, .skild, .DS_Store and .skildignore patterns", async () => {
    const dir = writeSkillFolder(cli.root, {
      name: "ignores",
      version: "1.0.0",
      files: {
        ".git/config": "[core]\n",
        "node_modules/dep/index.js": "x",
        "nested/node_modules/x.js": "x",
        ".skild/install.json": "{}",
        ".DS_Store": "x",
        ".skildignore": "# comment\n*.log\nsecret/\n/build\n!keep.log\n",
        "debug.log": "x",
        "keep.log": "kept",
        "deep/trace.log": "x",
        "secret/key.pem": "x",
        "build/out.js": "x",
        "src/build/ok.js": "kept",
        "scripts/run.sh": "#!/bin/sh\n",
      },
    });
    const dry = await cli.json<PublishJson>(["publish", "--dir", dir, "--name", "@acme/ignores", "--dry-run"]);
    expect(dry.files.map((f) => f.path)).toEqual([
      "SKILL.md",
      "keep.log",
      "package.json",
      "scripts/run.sh",
      "src/build/ok.js",
    ]);
  });

  it("publishes `npm pack` output as is", async () => {
    const dir = writeSkillFolder(cli.root, { name: "packed", version: "2.0.0" });
    writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: "@acme/packed", version: "2.0.0", description: "Packed by npm" }),
    );
    const npm = spawnSync(process.execPath, [path.join(ROOT, "node_modules/npm/bin/npm-cli.js"), "pack", "--json"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, npm_config_cache: path.join(cli.root, "npm-cache"), npm_config_update_notifier: "false" },
    });
    expect(npm.status, npm.stderr).toBe(0);
    const filename = (JSON.parse(npm.stdout) as { filename: string }[])[0].filename;
    const tgz = path.join(dir, filename);
    const bytes = readFileSync(tgz);

    const published = await cli.json<PublishJson>(["publish", tgz]);
    expect(published).toMatchObject({ name: "@acme/packed", version: "2.0.0" });
    expect(published.integrity).toBe(ssri.fromData(bytes, { algorithms: ["sha512"] }).toString());
    expect((await versionOf("@acme/packed", "latest")).body.integrity).toBe(published.integrity);

    const renamed = await cli.run(["publish", tgz, "--name", "@acme/other"]);
    expect(renamed.code).toBe(2);
    expect(renamed.stderr).toContain("The tarball holds @acme/packed, not @acme/other");
  });

  it("--tag points a dist-tag at the version and leaves latest alone", async () => {
    const dir = writeSkillFolder(cli.root, { name: "tagged" });
    await cli.ok(["publish", "--dir", dir, "--name", "@acme/tagged", "--skill-version", "1.0.0"]);
    const beta = await cli.json<PublishJson>([
      "publish",
      "--dir",
      dir,
      "--name",
      "@acme/tagged",
      "--skill-version",
      "1.1.0-beta.1",
      "--tag",
      "beta",
    ]);
    expect(beta.distTags).toEqual({ latest: "1.0.0", beta: "1.1.0-beta.1" });
  });

  it("refuses links in the folder before uploading anything", async () => {
    const dir = writeSkillFolder(cli.root, { name: "linky", version: "1.0.0" });
    symlinkSync("/etc/passwd", path.join(dir, "passwd"));
    const { code, stderr } = await cli.run(["publish", "--dir", dir, "--name", "@acme/linky"]);
    expect(code).toBe(1);
    expect(stderr).toContain("passwd is a symbolic link");
    expect((await versionOf("@acme/linky", "1.0.0")).status).toBe(404);
  });

  it("passes the registry's refusals through: existing version, someone else's scope, no login", async () => {
    const dir = writeSkillFolder(cli.root, { name: "dup", version: "1.0.0" });
    const first = await cli.json<{ integrity: string }>(["publish", "--dir", dir, "--name", "@acme/dup"]);
    // The same bytes again (a re-run CI job): the registry still says 409, the CLI reports success.
    const again = await cli.run(["publish", "--dir", dir, "--name", "@acme/dup"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("@acme/dup@1.0.0 already published (identical)");
    // Other bytes under the same version: refused, naming both integrities.
    writeFileSync(path.join(dir, "extra.md"), "changed\n");
    const dup = await cli.run(["publish", "--dir", dir, "--name", "@acme/dup"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(
      new RegExp(
        `^skild: @acme/dup@1\\.0\\.0 already exists with different contents \\(the registry has ${first.integrity.replace(/[+/]/g, "\\$&")}, this tarball is sha512-\\S+\\); versions are immutable\\. Bump the version to publish a change\\.\n$`,
      ),
    );

    const foreign = writeSkillFolder(cli.root, { name: "dup", version: "1.0.0" });
    const theirs = await cli.run(["publish", "--dir", foreign, "--name", "@someone-else/dup"]);
    expect(theirs.code).toBe(1);
    expect(theirs.stderr).toBe(
      // Since orgs (issue 12) a scope may be an org, so the refusal names the rule, not one owner.
      "skild: You are logged in as acme; publishing @someone-else/dup needs write access to it (your own scope, or an organisation you are a member of).\n",
    );

    const anonymous = createSandbox(server.url);
    try {
      const r = await anonymous.run(["publish", "--dir", dir, "--name", "@acme/dup", "--skill-version", "1.0.1"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`Not logged in to ${server.url}. Run \`skild login --registry ${server.url}\` first.`);
    } finally {
      anonymous.cleanup();
    }
    const badVersion = await cli.run(["publish", "--dir", dir, "--name", "@acme/dup", "--skill-version", "latest"]);
    expect(badVersion.code).toBe(1);
    expect(badVersion.stderr).toContain('--skill-version "latest" is not a valid semver version');
  });

  it("leaves no staging folder behind in the skill folder", async () => {
    const dir = writeSkillFolder(cli.root, { name: "clean", version: "1.0.0" });
    const before = listTree(dir);
    await cli.ok(["publish", "--dir", dir, "--name", "@acme/clean"]);
    expect(listTree(dir)).toEqual(before);
    expect(readdirSync(dir)).not.toContain("package.json");
  });
});
