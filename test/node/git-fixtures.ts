// Git repositories on disk for the source tests: a working repository per test, published as a
// bare repository that the CLI fetches with the real `git` over file://, "ssh" (GIT_SSH_COMMAND
// running git-upload-pack locally) or dumb HTTP (a static file server over the bare repository).
import { execFileSync } from "node:child_process";
import { chmodSync, createReadStream, mkdirSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@example.com",
  GIT_CONFIG_NOSYSTEM: "1",
};

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, env: GIT_ENV, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).trim();
}

export function skillMdText(name: string, description = `The ${name} skill. Use it in tests.`, body = `# ${name}\n`) {
  return `---\nname: ${name}\ndescription: ${description}\n---\n\n${body}`;
}

/** Writes files (path → content) under dir. */
export function writeFiles(dir: string, files: Record<string, string | Buffer>) {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
}

export interface Repo {
  /** The working repository (edit, then commit()). */
  work: string;
  /** The bare repository the CLI fetches: `<root>/<owner>/<name>.git`. */
  bare: string;
  /** file:// URL of the bare repository. */
  url: string;
  /** Commits everything, pushes branch and tags to the bare repository; returns the commit. */
  commit: (message?: string) => string;
  /** Points a tag at HEAD (moving it if it exists) and pushes it. */
  tag: (name: string) => void;
}

/** A repository `owner/name` with `files`, committed on `main` and published under `root`. */
export function createRepo(root: string, owner: string, name: string, files: Record<string, string | Buffer>): Repo {
  const work = path.join(root, "work", owner, name);
  const bare = path.join(root, owner, `${name}.git`);
  mkdirSync(work, { recursive: true });
  git(work, "init", "-q", "-b", "main");
  writeFiles(work, files);
  mkdirSync(path.dirname(bare), { recursive: true });
  git(root, "init", "-q", "--bare", "-b", "main", bare);
  git(work, "remote", "add", "origin", bare);
  const commit = (message = "change") => {
    git(work, "add", "-A");
    git(work, "commit", "-q", "--allow-empty", "-m", message);
    git(work, "push", "-q", "--force", "origin", "main", "--tags");
    git(bare, "update-server-info");
    return git(work, "rev-parse", "HEAD");
  };
  commit("first");
  return {
    work,
    bare,
    url: `file://${bare}`,
    commit,
    tag: (tag) => {
      git(work, "tag", "-f", tag);
      git(work, "push", "-q", "--force", "origin", `refs/tags/${tag}`);
      git(bare, "update-server-info");
    },
  };
}

/**
 * A GIT_SSH_COMMAND that runs the remote command (git-upload-pack '<path>') locally, with paths
 * taken relative to `root`: `git@host:owner/repo.git` and `ssh://git@host/owner/repo.git` both work.
 */
export function fakeSsh(root: string): string {
  const script = path.join(root, "fake-ssh.sh");
  writeFileSync(
    script,
    `#!/bin/sh\n# last argument is the command git wants run on the "remote"\nfor last; do :; done\ncd "${root}" || exit 1\ncmd=$(printf '%s' "$last" | sed "s#'/#'#")\nexec sh -c "$cmd"\n`,
  );
  chmodSync(script, 0o755);
  return script;
}

/** A static file server over `root`: git's dumb HTTP protocol needs nothing more. */
export async function startDumbHttp(root: string) {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(rel);
    const file = path.join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if (!statSync(file).isFile()) throw new Error("not a file");
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
