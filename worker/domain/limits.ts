import type { Bindings } from "../env";

export interface Limits {
  /** Largest accepted .tgz, in bytes. */
  maxTarballBytes: number;
  /** Largest total size of the files once gunzipped, in bytes. */
  maxUnpackedBytes: number;
  /** Most tar entries (files and folders). */
  maxEntries: number;
  /** Account signups per client address (IPv6: per /64) per hour. */
  signupsPerHour: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxTarballBytes: 10 * 1024 * 1024,
  maxUnpackedBytes: 50 * 1024 * 1024,
  maxEntries: 2000,
  signupsPerHour: 20,
};

function positiveInt(raw: string | undefined, fallback: number): number {
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isSafeInteger(n) && n > 0 ? n : fallback;
}

export function limitsFromEnv(env: Bindings): Limits {
  return {
    maxTarballBytes: positiveInt(env.MAX_TARBALL_BYTES, DEFAULT_LIMITS.maxTarballBytes),
    maxUnpackedBytes: positiveInt(env.MAX_UNPACKED_BYTES, DEFAULT_LIMITS.maxUnpackedBytes),
    maxEntries: positiveInt(env.MAX_ENTRIES, DEFAULT_LIMITS.maxEntries),
    signupsPerHour: positiveInt(env.SIGNUP_LIMIT_PER_HOUR, DEFAULT_LIMITS.signupsPerHour),
  };
}

export const formatBytes = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
