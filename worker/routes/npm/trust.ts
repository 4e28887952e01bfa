// npm trust endpoints: the registry's public signing keys and the provenance of a version.
import { Hono } from "hono";
import { parseCanonicalName } from "../../domain/names";
import { readAttestations } from "../../domain/provenance";
import { parseExactVersion } from "../../domain/versions";
import type { AppEnv } from "../../env";
import { notFound } from "../../errors";
import { cacheScope, visibleTarballRef } from "../../http/visible";
import { packageNotFound } from "./paths";

const ATTESTATIONS_PREFIX = "/-/npm/v1/attestations/";

export const trustRoutes = new Hono<AppEnv>()
  // `npm audit signatures` reads this when Sigstore's TUF repository has no keys for this registry.
  // Without a signing key: 404, which npm reads as "this registry does not sign".
  .get("/-/npm/v1/keys", async (c) => {
    const ring = await c.get("deps").signingKeys();
    if (!ring) throw notFound("This registry has no signing key; its versions are not signed.", "NO_SIGNING_KEYS");
    // Revalidated every time: after a rotation a client holding the old list would refuse the new
    // key's signatures (answering from memory costs nothing).
    return c.json({ keys: ring.keys }, 200, { "Cache-Control": "no-cache" });
  })
  // `/-/npm/v1/attestations/@scope/name@1.0.0` (the `@` and `/` possibly percent-encoded).
  .get(`${ATTESTATIONS_PREFIX}*`, async (c) => {
    let spec: string;
    try {
      spec = decodeURIComponent(c.req.path.slice(ATTESTATIONS_PREFIX.length));
    } catch {
      throw packageNotFound();
    }
    const at = spec.lastIndexOf("@");
    if (at <= 0) throw packageNotFound();
    const skill = parseCanonicalName(spec.slice(0, at));
    const version = parseExactVersion(spec.slice(at + 1));
    // Same access rule as the tarball: a restricted skill's provenance does not exist for outsiders.
    const ref = await visibleTarballRef(c, skill, version);
    if (!ref) throw packageNotFound();
    const attestations = await readAttestations(c.get("deps").db, skill, version);
    if (!attestations) throw packageNotFound();
    return c.json({ attestations }, 200, { "Cache-Control": `${cacheScope(ref.skill)}, max-age=300` });
  });
