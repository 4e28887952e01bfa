import type { Publisher } from "./domain/accounts";
import type { ArtifactStore } from "./domain/artifact-store";
import type { Limits } from "./domain/limits";

/** Bindings declared in wrangler.toml. */
export interface Bindings {
  DB: D1Database;
  ARTIFACTS: R2Bucket;
  MAX_TARBALL_BYTES?: string;
  MAX_UNPACKED_BYTES?: string;
  MAX_ENTRIES?: string;
  /** "off" turns the publish-time risk scan off (benchmarks; an operator's escape hatch). */
  RISK_SCAN?: string;
}

/** What the domain layer needs: storage and limits, injectable so tests can swap in faulty stores. */
export interface Deps {
  db: D1Database;
  artifacts: ArtifactStore;
  limits: Limits;
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
