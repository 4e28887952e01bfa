/**
 * Content-addressed tarball storage. Keys are `sha256/<hex>.tgz`: immutable, so a put of a key that
 * exists is skipped and two skills with identical bytes share one object.
 */
export interface ArtifactStore {
  has(key: string): Promise<boolean>;
  put(key: string, bytes: Uint8Array, meta: { integrity: string }): Promise<void>;
  /** The object's body as a stream, or null when missing. */
  get(key: string): Promise<{ body: ReadableStream; size: number } | null>;
}

export const artifactKey = (sha256Hex: string) => `sha256/${sha256Hex}.tgz`;
/**
 * A discovery archive (worker/domain/discovery.ts): content-addressed too, under its own prefix, so
 * the orphan sweep (which owns `sha256/` and knows only `versions.sha256`) never touches it.
 */
export const archiveKey = (sha256Hex: string) => `archive/sha256/${sha256Hex}.tar.gz`;

export function r2ArtifactStore(bucket: R2Bucket): ArtifactStore {
  return {
    async has(key) {
      return (await bucket.head(key)) !== null;
    },
    async put(key, bytes, meta) {
      // R2 checks the sha256 itself and rejects the write if the bytes were corrupted on the way.
      const sha256 = /([0-9a-f]{64})\.(?:tgz|tar\.gz)$/.exec(key)?.[1];
      await bucket.put(key, bytes, {
        sha256,
        httpMetadata: { contentType: "application/octet-stream" },
        customMetadata: { integrity: meta.integrity },
      });
    },
    async get(key) {
      const object = await bucket.get(key);
      return object ? { body: object.body, size: object.size } : null;
    },
  };
}
