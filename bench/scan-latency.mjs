// What the publish-time risk scan adds to a publish: median publish latency against the real
// registry with the scan on and off (RISK_SCAN=off), for a typical skill (~2 KB), a 10 MiB package
// and a package built to make the scan slow. One registry at a time (this machine has 2 cores).
// Run: node bench/scan-latency.mjs [typical-count] [large-count]. Not part of `npm test` or `npm run bench`.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as tar from "tar";
import { makeTempDir, removeTempDir } from "./procs.mjs";
import { startRegistry } from "./registry.mjs";
import { prose, skillMd } from "./skill-package.mjs";

const TYPICAL = Number(process.argv[2] ?? 21);
const LARGE = Number(process.argv[3] ?? 7);
const HANDLE = "scanbench";

/** @param {string} name @param {string} version @param {Record<string, string | Buffer>} extra */
function pack(name, version, extra = {}) {
  const dir = makeTempDir("skild-scan-bench-");
  try {
    const files = {
      "package.json": `${JSON.stringify({ name, version, description: "Benchmark skill." }, null, 2)}\n`,
      "SKILL.md": skillMd(name, "Benchmark skill."),
      ...extra,
    };
    for (const [rel, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, "package", rel)), { recursive: true });
      writeFileSync(path.join(dir, "package", rel), content);
    }
    /** @type {Buffer[]} */
    const chunks = [];
    const packer = new tar.PackSync({ cwd: dir, gzip: true, portable: true });
    packer.on("data", (chunk) => chunks.push(chunk));
    for (const rel of Object.keys(files)) packer.add(`package/${rel}`);
    packer.end();
    return Buffer.concat(chunks);
  } finally {
    removeTempDir(dir);
  }
}

/** Shapes of package, each a function of the version so every publish is a new version. */
const SHAPES = {
  typical: (/** @type {string} */ v) =>
    pack(`@${HANDLE}/typical`, v, {
      "scripts/run.sh": "#!/bin/sh\nset -e\nnpx prettier --write .\n",
      "reference.md": prose(4000, 3),
    }),
  // ~10 MiB packed: 8 text files of 256 KiB (what the scan reads) and random bytes (what it skips).
  large: (/** @type {string} */ v) =>
    pack(`@${HANDLE}/large`, v, {
      ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`docs/part-${i}.md`, prose(256 * 1024, i + 11)])),
      "assets/data.bin": Buffer.concat([Buffer.from([0]), randomBytes(8.8 * 1024 * 1024)]),
    }),
  // The costliest near-miss input found (test/node/risk-scan.test.ts): every 7th character starts a pattern.
  hostile: (/** @type {string} */ v) =>
    pack(`@${HANDLE}/hostile`, v, {
      ...Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`scripts/s${i}.sh`, "curl x ".repeat(38_000)])),
    }),
};

const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A registry with an account that can publish; `RISK_SCAN` as given. @param {Record<string, string>} vars */
async function registryWithAccount(vars) {
  const server = await startRegistry({ vars });
  const post = (/** @type {string} */ p, /** @type {unknown} */ body) =>
    fetch(`${server.url}${p}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  await post("/auth/signup", { email: `${HANDLE}@example.com`, handle: HANDLE, password: "correct horse battery" });
  const login = await post("/auth/login", { handleOrEmail: HANDLE, password: "correct horse battery" });
  const { token } = await login.json();
  return { server, token };
}

/** @param {{server: {url: string}, token: string}} target @param {string} shape @param {Buffer} body */
async function timedPublish({ server, token }, shape, body) {
  const started = performance.now();
  const res = await fetch(`${server.url}/skills/${HANDLE}/${shape}/publish`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/gzip" },
    body: /** @type {BodyInit} */ (/** @type {unknown} */ (body)),
  });
  const text = await res.text();
  const elapsed = performance.now() - started;
  if (res.status !== 201) throw new Error(`publish ${shape} ${res.status}: ${text}`);
  return elapsed;
}

// Both registries run at once and take turns with the same bytes, so a busy moment on this shared
// machine hits both sides alike.
const off = await registryWithAccount({ RISK_SCAN: "off" });
const on = await registryWithAccount({});
const rows = [];
try {
  for (const [shape, make] of Object.entries(SHAPES)) {
    const count = shape === "typical" ? TYPICAL : LARGE;
    /** @type {number[]} */ const offTimes = [];
    /** @type {number[]} */ const onTimes = [];
    let size = 0;
    // Publish 0 is an unmeasured warm-up.
    for (let i = 0; i <= count; i++) {
      const body = make(`1.0.${i}`);
      size = body.byteLength;
      const [first, second] = i % 2 ? [on, off] : [off, on];
      const a = await timedPublish(first, shape, body);
      const b = await timedPublish(second, shape, body);
      if (i === 0) continue;
      (first === off ? offTimes : onTimes).push(a);
      (second === off ? offTimes : onTimes).push(b);
    }
    rows.push({
      package: `${shape} (${(size / 1024).toFixed(0)} KiB packed)`,
      publishes: onTimes.length,
      "median off ms": median(offTimes).toFixed(1),
      "median on ms": median(onTimes).toFixed(1),
      "added ms": (median(onTimes) - median(offTimes)).toFixed(1),
    });
  }
} finally {
  await off.server.stop();
  await on.server.stop();
}
console.table(rows);
