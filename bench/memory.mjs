// Peak memory of a Worker under wrangler dev, read from /proc: the workerd process in the wrangler
// process group. This is process RSS (the runtime, every isolate, and miniflare's local D1/R2 live
// in that one process), so it is an upper bound on what the Worker's isolate uses.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

/**
 * The pid of the workerd process that runs the Worker in process group `pgid`, or null. wrangler dev
 * starts two: a proxy on the public port, and the runtime holding the Worker (and miniflare's local
 * D1/R2), which is the one started with an inspector address.
 * @param {number} pgid
 */
export function findWorkerd(pgid) {
  /** @type {number[]} */
  const inGroup = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // pid (comm) state ppid pgrp ...; comm may hold spaces, so split after the last ")".
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (comm === "workerd" && Number(fields[2]) === pgid) inGroup.push(Number(entry));
    } catch {
      // The process went away while we looked.
    }
  }
  const runtime = inGroup.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("--inspector-addr");
    } catch {
      return false;
    }
  });
  return runtime ?? inGroup[0] ?? null;
}

/** VmRSS and VmHWM (peak RSS) in MiB. @param {number} pid */
export function readRss(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  /** @param {string} key */
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: kib("VmRSS") / 1024, hwmMiB: kib("VmHWM") / 1024 };
}

/**
 * Samples the process's RSS every `intervalMs` until stopped. The kernel's peak (VmHWM) is reset at
 * the start when allowed (clear_refs 5), so the peak covers only the sampled period.
 * @param {number} pid
 * @param {number} [intervalMs]
 */
export function sampleMemory(pid, intervalMs = 50) {
  let peakReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
  } catch {
    peakReset = false;
  }
  const start = readRss(pid);
  let maxRss = start.rssMiB;
  const timer = setInterval(() => {
    try {
      maxRss = Math.max(maxRss, readRss(pid).rssMiB);
    } catch {
      // The process exited; keep what was seen.
    }
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      let end = start;
      try {
        end = readRss(pid);
      } catch {}
      maxRss = Math.max(maxRss, end.rssMiB);
      return {
        startRssMiB: start.rssMiB,
        peakRssMiB: peakReset ? Math.max(end.hwmMiB, maxRss) : maxRss,
        peakResetWorked: peakReset,
      };
    },
  };
}
