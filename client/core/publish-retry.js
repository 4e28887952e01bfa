// A publish that can be run again safely. Versions are immutable, so a second POST of a version
// that landed is a 409; what matters is whether what landed is OUR tarball:
// - 409 whose integrity (from the 409 body, else a GET of the version) equals ours: it is already
//   published, identical: success, so a CI pipeline can re-run its publish step;
// - 409 with other bytes: a clear failure;
// - no reply (connection cut or timed out after the body went out, a 5xx, an unreadable reply):
//   the POST may have landed, so never POST again blindly: GET the version first, then decide as
//   above, and only POST again when the registry does not have it.
import { CliError } from "./errors.js";
import { retrySettings } from "./http.js";

/**
 * @typedef {object} PublishOutcome
 * @property {import("./registry.js").PublishResult | null} result what the registry answered, when it answered
 * @property {boolean} alreadyPublished true when the registry already held these exact bytes
 */

/**
 * @param {unknown} err
 * @returns {boolean} the POST may have been processed even though no success came back
 */
function outcomeUnknown(err) {
  if (!(err instanceof CliError)) return false;
  if (err.code === "UNREACHABLE") return err.details?.mayHaveLanded === true;
  if (err.code === "BAD_RESPONSE") return true; // a reply cut mid-body
  return err.status !== undefined && err.status >= 500;
}

/**
 * @param {import("./registry.js").RegistryClient} registry
 * @param {{skill: import("./names.js").SkillRef, version: string, tarball: Uint8Array, integrity: string, tag?: string, access?: "public" | "restricted"}} pkg
 * @param {{note?: (line: string) => void}} [io]
 * @returns {Promise<PublishOutcome>}
 */
export async function publishSafely(registry, pkg, io = {}) {
  const label = `${pkg.skill.canonical}@${pkg.version}`;
  /** @param {string} theirs */
  const compare = (theirs) => {
    if (theirs === pkg.integrity) return { result: null, alreadyPublished: true };
    throw new CliError(
      `${label} already exists with different contents (the registry has ${theirs}, this tarball is ${pkg.integrity}); versions are immutable. Bump the version to publish a change.`,
      { code: "VERSION_EXISTS" },
    );
  };
  // Bounded like every other request: each round is a POST plus at most one check.
  const rounds = retrySettings().retries + 1;
  for (let round = 1; ; round++) {
    try {
      return {
        result: await registry.publish(pkg.skill, pkg.tarball, pkg.tag, pkg.access),
        alreadyPublished: false,
      };
    } catch (err) {
      if (err instanceof CliError && err.status === 409 && err.code === "VERSION_EXISTS") {
        const stated = err.details?.integrity;
        const theirs = typeof stated === "string" ? stated : await registry.publishedIntegrity(pkg.skill, pkg.version);
        if (theirs === null) throw err; // taken but not readable (e.g. unpublished): the registry's word stands
        return compare(theirs);
      }
      if (!outcomeUnknown(err) || round >= rounds) throw err;
      const message = err instanceof Error ? err.message : String(err);
      io.note?.(`${label}: ${message}`);
      io.note?.(`Checking whether ${label} landed before trying again...`);
      const landed = await registry.publishedIntegrity(pkg.skill, pkg.version);
      if (landed !== null) return compare(landed);
      io.note?.(`${label} is not on the registry; publishing again.`);
    }
  }
}
