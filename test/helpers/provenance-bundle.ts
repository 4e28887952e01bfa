// Sigstore bundles shaped like the one `npm publish --provenance` attaches on GitHub Actions
// (libnpmpublish lib/provenance.js + sigstore-js): a DSSE envelope around an in-toto statement
// with an SLSA v1 predicate. The signature and certificate are random bytes: the registry does not
// (cannot, offline) verify them, and says so; it checks the statement's subject. Runs in workerd and Node.

const encoder = new TextEncoder();
const base64 = (bytes: Uint8Array) => {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
};
const randomBase64 = (n: number) => base64(crypto.getRandomValues(new Uint8Array(n)));

/** sha512 hex of an SRI `sha512-<base64>` integrity. */
export const sha512HexOf = (integrity: string) =>
  [...atob(integrity.replace(/^sha512-/, ""))].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");

export interface BundleOptions {
  /** `@scope/name` */
  name: string;
  version: string;
  /** The tarball's sha512 SRI. */
  integrity: string;
  repository?: string;
  workflowPath?: string;
  /** Replace the statement (after it is built). */
  statement?: (statement: Record<string, unknown>) => unknown;
}

export function provenanceStatement(opts: BundleOptions): Record<string, unknown> {
  const repository = opts.repository ?? "https://github.com/acme/skills";
  const workflowPath = opts.workflowPath ?? ".github/workflows/publish.yml";
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [
      {
        name: `pkg:npm/${opts.name.replace(/^@/, "%40")}@${opts.version}`,
        digest: { sha512: sha512HexOf(opts.integrity) },
      },
    ],
    predicateType: "https://slsa.dev/provenance/v1",
    predicate: {
      buildDefinition: {
        buildType: "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
        externalParameters: { workflow: { ref: "refs/tags/v1.0.0", repository, path: workflowPath } },
        internalParameters: { github: { event_name: "push", repository_id: "123", repository_owner_id: "456" } },
        resolvedDependencies: [
          {
            uri: `git+${repository}@refs/tags/v1.0.0`,
            digest: { gitCommit: "0123456789abcdef0123456789abcdef01234567" },
          },
        ],
      },
      runDetails: {
        builder: { id: "https://github.com/actions/runner/github-hosted" },
        metadata: { invocationId: `${repository}/actions/runs/1/attempts/1` },
      },
    },
  };
}

/** The bundle object; `JSON.stringify` it for the attachment's `data`. */
export function provenanceBundle(opts: BundleOptions): Record<string, unknown> {
  const built = provenanceStatement(opts);
  const statement = opts.statement ? opts.statement(built) : built;
  return {
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      certificate: { rawBytes: randomBase64(700) },
      tlogEntries: [
        {
          logIndex: "123456789",
          logId: { keyId: randomBase64(32) },
          kindVersion: { kind: "dsse", version: "0.0.1" },
          integratedTime: String(Math.floor(Date.now() / 1000)),
          inclusionPromise: { signedEntryTimestamp: randomBase64(70) },
          inclusionProof: {
            logIndex: "12345",
            rootHash: randomBase64(32),
            treeSize: "23456",
            hashes: [randomBase64(32), randomBase64(32)],
            checkpoint: { envelope: "rekor.sigstore.dev - 1193050959916656506\n23456\n...\n" },
          },
          canonicalizedBody: randomBase64(600),
        },
      ],
    },
    dsseEnvelope: {
      payload: base64(encoder.encode(JSON.stringify(statement))),
      payloadType: "application/vnd.in-toto+json",
      signatures: [{ sig: randomBase64(71), keyid: "" }],
    },
  };
}

/** The `_attachments` entry libnpmpublish adds for the bundle. */
export function provenanceAttachment(bundle: unknown) {
  const data = typeof bundle === "string" ? bundle : JSON.stringify(bundle);
  return { content_type: "application/vnd.dev.sigstore.bundle.v0.3+json", data, length: data.length };
}
