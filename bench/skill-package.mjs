// The benchmark's skill package: an npm-pack style tarball (package/package.json + package/SKILL.md)
// of about 2 KB gzipped, the same bytes for every registry. The text is deterministic pseudo-prose
// so it compresses like real writing rather than like repeated filler.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { makeTempDir, removeTempDir } from "./procs.mjs";

const WORDS =
  "agent skill review code test deploy build plan check write read parse format lint commit branch merge release tag version registry package install folder file markdown frontmatter name description tool prompt context task step output input error warning report summary data table chart query index cache token publish scope user project local global platform claude codex cursor copilot".split(
    " ",
  );

/** @param {number} seed */
function prng(seed) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** About `chars` characters of sentences drawn from WORDS. @param {number} chars @param {number} seed */
export function prose(chars, seed = 1) {
  const next = prng(seed);
  const sentences = [];
  let length = 0;
  while (length < chars) {
    const words = Array.from({ length: 6 + Math.floor(next() * 10) }, () => WORDS[Math.floor(next() * WORDS.length)]);
    const sentence = `${words.join(" ")}.`;
    sentences.push(sentence[0].toUpperCase() + sentence.slice(1));
    length += sentence.length + 1;
  }
  return sentences.join(" ");
}

/**
 * @param {string} name `@scope/skill`
 * @param {string} description
 */
export function skillMd(name, description) {
  const bare = name.split("/")[1];
  return `---\nname: ${bare}\ndescription: ${description}\n---\n\n# ${bare}\n\n${prose(5400, 7)}\n`;
}

/**
 * A gzipped skill tarball, as `npm pack` lays it out.
 * @param {{ name: string, version: string, description?: string }} opts
 * @returns {Buffer}
 */
export function skillTarball({ name, version, description = "A benchmark skill that plans, checks and reports." }) {
  const dir = makeTempDir("skild-bench-pack-");
  try {
    mkdirSync(path.join(dir, "package"));
    writeFileSync(
      path.join(dir, "package", "package.json"),
      `${JSON.stringify({ name, version, description, license: "MIT", keywords: ["skill", "benchmark"] }, null, 2)}\n`,
    );
    writeFileSync(path.join(dir, "package", "SKILL.md"), skillMd(name, description));
    /** @type {Buffer[]} */
    const chunks = [];
    const pack = new tar.PackSync({ cwd: dir, gzip: true, portable: true, mtime: new Date("1985-10-26T08:15:00Z") });
    pack.on("data", (chunk) => chunks.push(chunk));
    pack.add("package/package.json");
    pack.add("package/SKILL.md");
    pack.end();
    return Buffer.concat(chunks);
  } finally {
    removeTempDir(dir);
  }
}

/** The manifest npm would send for the tarball made by skillTarball(). @param {string} name @param {string} version */
export function manifestFor(name, version, description = "A benchmark skill that plans, checks and reports.") {
  return { name, version, description, license: "MIT", keywords: ["skill", "benchmark"] };
}
