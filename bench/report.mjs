// Turns the benchmark's results into one Markdown table with the ratios and the issue 11 targets.

/** @typedef {import("./load.mjs").LoadResult | import("./load.mjs").Unavailable} Load */
/** @typedef {{ ok: true, medianMs: number, runsMs?: number[] } | { ok: false, reason: string }} Timed */
/**
 * @typedef {object} Memory
 * @property {number} idleRssMiB workerd process RSS before the load
 * @property {number} peakRssMiB workerd process peak RSS during the load
 * @property {number | null} heapStartMiB the isolate's memory in use before the load (V8 heap + ArrayBuffers)
 * @property {number | null} heapPeakMiB its peak during the load (sampled every 100 ms; includes garbage not yet collected)
 * @property {number | null} heapPeakTotalMiB the largest V8 heap size reserved during the load
 */
/**
 * @typedef {object} Results
 * @property {{ date: string, cpus: number, cpuModel: string, node: string, wrangler: string, verdaccio: string, npm: string, connections: number, durationSeconds: number, warmupSeconds: number, loadAverage: number[], loadAverageAtEnd?: number[] }} meta
 * @property {{ constant: Load, memory: Memory | null }} hello the hello-world Worker under `wrangler dev`
 * @property {{ constant: Load, memory: Memory | null }} ceiling the hello-world Worker on one workerd
 * @property {{ abbreviated: Load, full: Load, tarball: Load, publish: Timed, npmInstall: Timed }} verdaccio
 * @property {{ abbreviated: Load, full: Load, tarballNpm: Load, tarballApi: Load, list: Load, detail: Load, publishApi: Timed, publishNpm: Timed, npmInstall: Timed, skildInstall: Timed }} ours
 * @property {{ versions: number, skills: number, seedSeconds: number, abbreviated: Load, full: Load, detail: Load, searchApi: Load, searchNpm: Load, memory: Memory | null, sizedCeiling: { abbreviated: Load, full: Load, abbreviatedBytes: number, fullBytes: number } }} scale
 *   `sizedCeiling`: the constant Worker sending as many bytes as the 1,000-version packuments, measured in turns with them
 * @property {Record<string, { verdaccio?: Load, ceiling?: Load }>} pairs the anchors measured in turns with each of our routes (by row key)
 * @property {{ npmInstall: Timed }} floor `npm install` from a registry that does no work (bench/static-registry.mjs)
 * @property {number} [elapsedSeconds]
 */

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
/** @param {number} ms */
const fmtMs = (ms) => (ms >= 10 || Number.isInteger(ms) ? int.format(ms) : ms.toFixed(1));
/** @param {number} x */
const fmtX = (x) => `${x.toFixed(2)}x`;
/** @param {number} mib */
const fmtMiB = (mib) => `${mib.toFixed(0)} MiB`;
/** @param {number} bytes */
const fmtKB = (bytes) => `${int.format(bytes / 1000)} KB`;
/** How many runs a timed result is the median of. @param {Timed | undefined} t */
const installCount = (t) => (t?.ok && t.runsMs ? t.runsMs.length : "n");

/** @param {Load | undefined} r */
function loadCell(r) {
  if (!r) return "—";
  if (!r.ok) return r.reason;
  const failures = r.failures ? ` (${int.format(r.failures)} failed)` : "";
  return `${int.format(r.rps)} req/s · p50 ${fmtMs(r.p50)} ms · p99 ${fmtMs(r.p99)} ms${failures}`;
}

/** @param {Timed | undefined} t */
function timeCell(t) {
  if (!t) return "—";
  if (!t.ok) return t.reason;
  return t.medianMs >= 1000 ? `${(t.medianMs / 1000).toFixed(2)} s` : `${fmtMs(t.medianMs)} ms`;
}

/** @param {Load | undefined} r @returns {r is import("./load.mjs").LoadResult} */
const okLoad = (r) => Boolean(r?.ok);
/** @param {Timed | undefined} t @returns {t is { ok: true, medianMs: number }} */
const okTime = (t) => Boolean(t?.ok);

/** Ratios of a load result against an anchor: req/s and p99. @param {Load} ours @param {Load | undefined} anchor */
function loadRatio(ours, anchor) {
  if (!okLoad(ours) || !okLoad(anchor)) return "—";
  return `req/s ${fmtX(ours.rps / anchor.rps)} · p99 ${fmtX(ours.p99 / anchor.p99)}`;
}

/**
 * @param {boolean | null} ok null when it cannot be judged
 * @param {string} detail
 */
const verdict = (ok, detail) => (ok === null ? `— (${detail})` : `${ok ? "**met**" : "**not met**"} (${detail})`);

/**
 * Read target of issue 11 on a hot route: req/s >= minRatio x Verdaccio's with p99 <= Verdaccio's
 * p99 (when Verdaccio serves the route), and req/s >= 0.75x the one-workerd constant Worker.
 * @param {Load} ours @param {Load | undefined} verdaccio @param {Load} ceiling @param {number} minRatio
 */
function readTarget(ours, verdaccio, ceiling, minRatio) {
  if (!okLoad(ours)) return { met: null, text: verdict(null, "not measured") };
  const parts = [];
  let met = true;
  if (okLoad(verdaccio)) {
    const r = ours.rps / verdaccio.rps;
    const p99 = ours.p99 / verdaccio.p99;
    met &&= r >= minRatio && p99 <= 1;
    parts.push(
      `req/s ${fmtX(r)} ${r >= minRatio ? "≥" : "<"} ${minRatio}x`,
      `p99 ${fmtX(p99)} ${p99 <= 1 ? "≤" : ">"} 1x`,
    );
  }
  if (okLoad(ceiling)) {
    const r = ours.rps / ceiling.rps;
    met &&= r >= CEILING_RATIO;
    parts.push(`${fmtX(r)} ceiling ${r >= CEILING_RATIO ? "≥" : "<"} ${CEILING_RATIO}x`);
  } else {
    met = false;
    parts.push("no ceiling measured");
  }
  return { met, text: verdict(met, parts.join("; ")) };
}

/** Each hot route's req/s against the one-workerd constant Worker. */
const CEILING_RATIO = 0.75;

/**
 * @param {Results} res
 * @returns {{ markdown: string, targets: { name: string, met: boolean | null }[] }}
 */
export function renderReport(res) {
  const { hello, ceiling, verdaccio: v, ours, scale, meta } = res;
  /** @type {{ name: string, met: boolean | null }[]} */
  const targets = [];
  /** @type {string[][]} */
  const rows = [];
  /**
   * @param {string} label
   * @param {{ ours?: string, verdaccio?: string, ceiling?: string, hello?: string, vsVerdaccio?: string, vsCeiling?: string, target?: string, met?: string }} cells
   */
  const row = (label, cells) =>
    rows.push([
      label,
      cells.ours ?? "—",
      cells.verdaccio ?? "—",
      cells.ceiling ?? "—",
      cells.hello ?? "—",
      cells.vsVerdaccio ?? "—",
      cells.vsCeiling ?? "—",
      cells.target ?? "—",
      cells.met ?? "—",
    ]);
  /** @param {string} name @param {{ met: boolean | null, text: string }} t */
  const track = (name, t) => {
    targets.push({ name, met: t.met });
    return t.text;
  };

  row("Constant response (the best a Worker does here)", {
    ceiling: loadCell(ceiling.constant),
    hello: loadCell(hello.constant),
    vsCeiling: okLoad(hello.constant) ? `wrangler dev: ${loadRatio(hello.constant, ceiling.constant)}` : "—",
  });

  /** The constant Worker measured in turns with a row (else the one measured alone). @param {string} key */
  const ceilingFor = (key) => res.pairs?.[key]?.ceiling ?? ceiling.constant;
  /** @type {[string, Load, Load, number, string, string][]} */
  const reads = [
    [
      "Abbreviated packument, 30 versions (`Accept: application/vnd.npm.install-v1+json`)",
      ours.abbreviated,
      v.abbreviated,
      3,
      "abbreviated packument",
      "abbreviated",
    ],
    ["Full packument, 30 versions", ours.full, v.full, 3, "full packument", "full"],
    [
      "Tarball, npm path (`/@scope/name/-/name-1.0.0.tgz`)",
      ours.tarballNpm,
      v.tarball,
      2,
      "tarball (npm path)",
      "tarballNpm",
    ],
    [
      "Tarball, skild API path (`/skills/…/versions/1.0.0/tarball`)",
      ours.tarballApi,
      res.pairs?.tarballApi?.verdaccio ?? v.tarball,
      2,
      "tarball (skild API path)",
      "tarballApi",
    ],
  ];
  for (const [label, mine, theirs, minRatio, name, key] of reads) {
    row(label, {
      ours: loadCell(mine),
      verdaccio: loadCell(theirs),
      ceiling: res.pairs?.[key]?.ceiling ? loadCell(ceilingFor(key)) : undefined,
      vsVerdaccio: loadRatio(mine, theirs),
      vsCeiling: loadRatio(mine, ceilingFor(key)),
      target: `req/s ≥ ${minRatio}x Verdaccio, p99 ≤ Verdaccio's; ≥ ${CEILING_RATIO}x ceiling`,
      met: track(name, readTarget(mine, theirs, ceilingFor(key), minRatio)),
    });
  }
  row("`GET /skills` (skild API list)", {
    ours: loadCell(ours.list),
    ceiling: res.pairs?.list?.ceiling ? loadCell(ceilingFor("list")) : undefined,
    vsCeiling: loadRatio(ours.list, ceilingFor("list")),
    target: `≥ ${CEILING_RATIO}x ceiling`,
    met: track("GET /skills", readTarget(ours.list, undefined, ceilingFor("list"), 0)),
  });
  row("`GET /skills/:scope/:skill`, 30 versions", {
    ours: loadCell(ours.detail),
    ceiling: res.pairs?.detail?.ceiling ? loadCell(ceilingFor("detail")) : undefined,
    vsCeiling: loadRatio(ours.detail, ceilingFor("detail")),
  });

  /** A time ratio against its limit. @param {number | null} ratio @param {number} limit @param {string} [note] */
  const ratioTarget = (ratio, limit, note = "") =>
    ratio === null
      ? { met: null, text: verdict(null, "not measured") }
      : { met: ratio <= limit, text: verdict(ratio <= limit, `${fmtX(ratio)}${note}`) };
  const publishRatio = (/** @type {Timed} */ t) =>
    okTime(t) && okTime(v.publish) ? fmtX(t.medianMs / v.publish.medianMs) : "—";
  /** @param {string} name @param {Timed} t */
  const publishTarget = (name, t) =>
    track(name, ratioTarget(okTime(t) && okTime(v.publish) ? t.medianMs / v.publish.medianMs : null, 0.5));
  row("Publish a ~2 KB version, median of 20 (skild API `POST …/publish`; Verdaccio: npm `PUT`)", {
    ours: timeCell(ours.publishApi),
    verdaccio: timeCell(v.publish),
    vsVerdaccio: publishRatio(ours.publishApi),
    target: "≤ 0.5x Verdaccio",
    met: publishTarget("publish (skild API)", ours.publishApi),
  });
  row("Publish a ~2 KB version, median of 20 (npm `PUT /<name>` via libnpmpublish)", {
    ours: timeCell(ours.publishNpm),
    verdaccio: timeCell(v.publish),
    vsVerdaccio: publishRatio(ours.publishNpm),
    target: "≤ 0.5x Verdaccio",
    met: publishTarget("publish (npm PUT)", ours.publishNpm),
  });

  const installRatio = (/** @type {Timed} */ t) =>
    okTime(t) && okTime(v.npmInstall) ? t.medianMs / v.npmInstall.medianMs : null;
  const skildRatio = installRatio(ours.skildInstall);
  row(
    `Cold \`skild install\` of one skill, median of ${installCount(ours.skildInstall)} (vs \`npm install\` from Verdaccio)`,
    {
      ours: timeCell(ours.skildInstall),
      verdaccio: timeCell(v.npmInstall),
      vsVerdaccio: skildRatio === null ? "—" : fmtX(skildRatio),
      target: "≤ 0.6x `npm install` from Verdaccio",
      met: track("cold skild install", ratioTarget(skildRatio, 0.6)),
    },
  );
  const npmRatio = installRatio(ours.npmInstall);
  const floorRatio = installRatio(res.floor?.npmInstall);
  const floorNote = floorRatio === null ? "" : `; the floor, a registry that does no work: ${fmtX(floorRatio)}`;
  row(`Cold \`npm install\` of one package, median of ${installCount(ours.npmInstall)}`, {
    ours: timeCell(ours.npmInstall),
    verdaccio: timeCell(v.npmInstall),
    vsVerdaccio: npmRatio === null ? "—" : fmtX(npmRatio),
    target: "≤ 0.9x Verdaccio",
    met: track("cold npm install", ratioTarget(npmRatio, 0.9, floorNote)),
  });
  row(
    `Cold \`npm install\` from a registry that does no work (the floor: packument and tarball from memory), median of ${installCount(res.floor?.npmInstall)}`,
    {
      ours: timeCell(res.floor?.npmInstall),
      verdaccio: timeCell(v.npmInstall),
      vsVerdaccio: floorRatio === null ? "—" : fmtX(floorRatio),
      target: "— (what npm itself costs: no registry does better here)",
    },
  );

  const versions = int.format(scale.versions);
  const sized = scale.sizedCeiling;
  /** @type {[string, Load, Load, string | null, Load | undefined, number][]} */
  const big = [
    [
      `Abbreviated packument, ${versions} versions`,
      scale.abbreviated,
      ours.abbreviated,
      "1,000-version abbreviated packument",
      sized?.abbreviated,
      sized?.abbreviatedBytes ?? 0,
    ],
    [
      `Full packument, ${versions} versions`,
      scale.full,
      ours.full,
      "1,000-version full packument",
      sized?.full,
      sized?.fullBytes ?? 0,
    ],
    [`\`GET /skills/:scope/:skill\`, ${versions} versions`, scale.detail, ours.detail, null, undefined, 0],
  ];
  for (const [label, large, small, name, sameSize, bytes] of big) {
    const ratio = okLoad(large) && okLoad(small) ? large.p50 / small.p50 : null;
    // What the body's size alone costs: the constant Worker sending as many bytes, beside it.
    const sizeNote =
      okLoad(sameSize) && okLoad(small)
        ? `; the constant Worker sending the same ${fmtKB(bytes)}: p50 ${fmtMs(sameSize.p50)} ms = ${fmtX(sameSize.p50 / small.p50)}`
        : "";
    const detail = ratio === null ? "not measured" : `p50 ${fmtX(ratio)} the 30-version p50${sizeNote}`;
    row(label, {
      ours: loadCell(large),
      ceiling: okLoad(sameSize) ? `same ${fmtKB(bytes)} body: ${loadCell(sameSize)}` : undefined,
      vsCeiling: loadRatio(large, okLoad(sameSize) ? sameSize : ceiling.constant),
      target: name ? "p50 < 2x the 30-version p50" : "—",
      met: name
        ? track(name, {
            met: ratio === null ? null : ratio < 2,
            text: verdict(ratio === null ? null : ratio < 2, detail),
          })
        : ratio === null
          ? "—"
          : `(${detail})`,
    });
  }

  const mem = scale.memory;
  /** @param {Memory | null} m */
  const memoryCell = (m) => {
    if (!m) return "n/a";
    const isolate =
      m.heapPeakMiB === null || m.heapStartMiB === null
        ? "isolate n/a"
        : `isolate ${fmtMiB(m.heapStartMiB)} → peak ${fmtMiB(m.heapPeakMiB)} (V8 heap reserved ≤ ${fmtMiB(m.heapPeakTotalMiB ?? 0)})`;
    return `${isolate}; workerd process RSS ${fmtMiB(m.idleRssMiB)} → ${fmtMiB(m.peakRssMiB)}`;
  };
  /** @type {{ met: boolean | null, text: string }} */
  let memTarget = { met: null, text: verdict(null, "not measured") };
  if (mem?.heapPeakMiB != null) {
    const met = mem.heapPeakMiB < 64;
    memTarget = { met, text: verdict(met, `isolate peak ${fmtMiB(mem.heapPeakMiB)}`) };
  } else if (mem) {
    memTarget =
      mem.peakRssMiB < 128
        ? { met: true, text: verdict(true, "even the whole process stays < 128 MB") }
        : { met: null, text: verdict(null, "only process RSS measured, which includes workerd and local D1/R2") };
  }
  row(`Memory during the ${versions}-version reads (hello-world: during its own load)`, {
    ours: memoryCell(mem),
    ceiling: memoryCell(ceiling.memory),
    hello: memoryCell(hello.memory),
    target: "isolate well under the 128 MB Workers limit (< 64 MiB)",
    met: track("peak memory", memTarget),
  });

  const skills = int.format(scale.skills);
  /** @type {[string, Load, string, string][]} */
  const searches = [
    [`\`GET /skills?q=\` over ${skills} skills`, scale.searchApi, "search (skild API)", "searchApi"],
    [`\`GET /-/v1/search?text=\` over ${skills} skills`, scale.searchNpm, "search (npm)", "searchNpm"],
  ];
  for (const [label, r, name, key] of searches) {
    const theirs = res.pairs?.[key]?.verdaccio ?? v.full;
    const anchor = ceilingFor(key);
    const ratio = okLoad(r) && okLoad(theirs) ? r.p99 / theirs.p99 : null;
    const vsCeiling = okLoad(r) && okLoad(anchor) ? r.rps / anchor.rps : null;
    const met = ratio === null || vsCeiling === null ? null : ratio <= 1 && vsCeiling >= CEILING_RATIO;
    row(label, {
      ours: loadCell(r),
      verdaccio: okLoad(theirs) ? `full packument p99 ${fmtMs(theirs.p99)} ms` : "—",
      ceiling: res.pairs?.[key]?.ceiling ? loadCell(anchor) : undefined,
      vsVerdaccio: ratio === null ? "—" : `p99 ${fmtX(ratio)} Verdaccio's packument p99`,
      vsCeiling: loadRatio(r, anchor),
      target: `p99 ≤ Verdaccio's full-packument p99; ≥ ${CEILING_RATIO}x ceiling`,
      met: track(name, {
        met,
        text: verdict(
          met,
          ratio === null || vsCeiling === null ? "not measured" : `p99 ${fmtX(ratio)}; ${fmtX(vsCeiling)} ceiling`,
        ),
      }),
    });
  }

  const header = [
    "Measurement",
    "skild (this registry)",
    `Verdaccio ${meta.verdaccio}`,
    "hello-world, one workerd (ceiling)",
    "hello-world, wrangler dev",
    "skild / Verdaccio",
    "skild / ceiling",
    "Target (issue 11)",
    "Met",
  ];
  const escapeCell = (/** @type {string} */ s) => s.replaceAll("|", "\\|");
  const table = [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.map(escapeCell).join(" | ")} |`),
  ].join("\n");

  const met = targets.filter((t) => t.met === true).length;
  const notMet = targets.filter((t) => t.met === false);
  const unjudged = targets.filter((t) => t.met === null);
  const summary = [
    `Targets: ${met} met, ${notMet.length} not met${notMet.length ? ` (${notMet.map((t) => t.name).join(", ")})` : ""}, ${unjudged.length} not measurable in this run${unjudged.length ? ` (${unjudged.map((t) => t.name).join(", ")})` : ""}.`,
  ];

  const markdown = [
    `## Benchmark: skild (as \`npm start\` serves it) vs Verdaccio vs a hello-world Worker`,
    "",
    `- Date: ${meta.date}`,
    `- Machine: ${meta.cpus} cores (${meta.cpuModel}), Node ${meta.node}, load average (1/5/15 min) at start ${meta.loadAverage.map((n) => n.toFixed(2)).join(" / ")}${meta.loadAverageAtEnd ? `, at end ${meta.loadAverageAtEnd.map((n) => n.toFixed(2)).join(" / ")}` : ""}`,
    `- Servers on 127.0.0.1: skild as \`npm start\` serves it (the production bundle on one workerd via Miniflare, local D1/R2); the hello-world Worker on one workerd (the ceiling) and under wrangler ${meta.wrangler} dev; Verdaccio ${meta.verdaccio} (offline, htpasswd, log level error); npm ${meta.npm}`,
    `- Load: autocannon, ${meta.connections} connections, ${meta.durationSeconds} s measured per row and server. Each of our read routes is measured in turns with its anchors (Verdaccio's same route and the constant Worker, idle meanwhile): two rounds of ${meta.durationSeconds / 2} s each after a ${meta.warmupSeconds} s warm-up, figures the mean of the two; the ratios compare those runs. Cold installs take turns the same way. The load generator shares the machine with the server`,
    `- Data: one skill with 30 versions of a ~2 KB tarball on both registries; scale rows on a separate skild instance with one ${versions}-version skill and ${skills} one-version skills`,
    `- "n/a (404)": the route answered 404 when probed (not built yet on this branch); "—": not applicable`,
    "",
    table,
    "",
    ...summary,
    ...(res.elapsedSeconds ? ["", `Whole run: ${res.elapsedSeconds.toFixed(0)} s.`] : []),
    "",
  ].join("\n");
  return { markdown, targets };
}
