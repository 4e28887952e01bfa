import type { Publisher } from "./domain/accounts";
import type { ArtifactStore } from "./domain/artifact-store";
import type { Limits } from "./domain/limits";
import type { KeyRing } from "./domain/signatures";

/** Bindings declared in wrangler.toml. */
export interface Bindings {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  MAX_TARBALL_BYTES?: string;
  MAX_UNPACKED_BYTES?: string;
  MAX_ENTRIES?: string;
  /** Secret: the registry's ECDSA P-256 signing key (PKCS8 base64/PEM or JWK). Unset: no signatures. */
  REGISTRY_SIGNING_KEY?: string;
  /** Secret or var: keys retired by a rotation, still listed: JSON `[{"key": ..., "expires": ISO}]`. */
  REGISTRY_RETIRED_KEYS?: string;
  /** "off" turns the publish-time risk scan off (benchmarks; an operator's escape hatch). */
  RISK_SCAN?: string;
  /** Orphan sweep: leave objects younger than this alone (seconds, default 3600). */
  ORPHAN_GRACE_SECONDS?: string;
  /** Orphan sweep: most objects deleted per run (default 1000). */
  ORPHAN_SWEEP_MAX_DELETES?: string;
  /** Signups per client address (IPv6: per /64) per hour (default 20). */
  SIGNUP_LIMIT_PER_HOUR?: string;
}

/** What the domain layer needs: storage and limits, injectable so tests can swap in faulty stores. */
export interface Deps {
  db: D1Database;
  artifacts: ArtifactStore;
  limits: Limits;
  /** The registry's signing keys (null: it signs nothing). */
  signingKeys: () => Promise<KeyRing | null>;
  /** Run the risk scan at publish (default true). */
  scanRisk?: boolean;
}

export interface Variables {
  deps: Deps;
  /** Set by requireAuth. */
  publisher: Publisher;
  tokenId: number;
  tokenReadonly: boolean;
}

export type AppEnv = { Bindings: Bindings; Variables: Variables };
