// Requests shaped the way stock npm 11 sends them (libnpmpublish, npm deprecate/unpublish/dist-tag).
import { Buffer } from "node:buffer";
import ssri from "ssri";
import { type SkillPackageOptions, skillTarball } from "../helpers/tarball";
import { type Account, call } from "./helpers";

export const CORGI = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*";

/** `/@scope%2fname`, as npm-package-arg's escapedName spells it. */
export const escaped = (name: string) => name.replace("/", "%2f");

export interface PublishBodyOptions extends SkillPackageOptions {
  tag?: string;
  /** Override parts of the version manifest npm sends. */
  manifest?: Record<string, unknown>;
  /** Override the attachment's declared length. */
  length?: number;
  tarball?: Uint8Array;
}

/** The JSON body libnpmpublish builds for `npm publish`. */
export async function npmPublishBody(name: string, opts: PublishBodyOptions = {}) {
  const version = opts.version ?? "1.0.0";
  const tarball = opts.tarball ?? (await skillTarball({ name, ...opts, version }));
  const integrity = ssri.fromData(tarball, { algorithms: ["sha1", "sha512"] });
  const manifest = {
    name,
    version,
    description: opts.description ?? "A test skill",
    _id: `${name}@${version}`,
    _nodeVersion: "20.19.0",
    _npmVersion: "11.21.2",
    dist: {
      integrity: integrity.sha512![0].toString(),
      shasum: Buffer.from(integrity.sha1![0].digest, "base64").toString("hex"),
      tarball: `http://registry.test/${name}/-/${name}-${version}.tgz`,
    },
    ...opts.manifest,
  };
  const file = `${name}-${version}.tgz`;
  return {
    _id: name,
    name,
    description: manifest.description,
    "dist-tags": { [opts.tag ?? "latest"]: version },
    versions: { [version]: manifest },
    access: "public",
    _attachments: {
      [file]: {
        content_type: "application/octet-stream",
        data: Buffer.from(tarball).toString("base64"),
        length: opts.length ?? tarball.length,
      },
    },
  };
}

export function putJson(path: string, body: unknown, headers: Record<string, string> = {}) {
  return call(path, {
    method: "PUT",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

/** `npm publish` of `@<handle>/<skill>@<version>`. */
export async function npmPublish(account: Account, opts: PublishBodyOptions & { skill?: string } = {}) {
  const name = `@${account.handle}/${opts.skill ?? "hello-skill"}`;
  return putJson(`/${escaped(name)}`, await npmPublishBody(name, opts), account.auth);
}

export interface VersionDoc {
  name: string;
  version: string;
  dist: {
    tarball: string;
    integrity: string;
    shasum: string;
    fileCount: number;
    unpackedSize: number;
    signatures?: { keyid: string; sig: string }[];
    attestations?: { url: string; provenance: { predicateType: string } };
  };
  deprecated?: string;
  [field: string]: unknown;
}

export interface PackumentDoc {
  _id: string;
  _rev: string;
  name: string;
  "dist-tags": Record<string, string>;
  versions: Record<string, VersionDoc>;
  time: Record<string, string>;
  [field: string]: unknown;
}

export async function packument(name: string, headers: Record<string, string> = {}) {
  const res = await call(`/${escaped(name)}`, { headers });
  return { res, body: res.status === 200 ? ((await res.json()) as PackumentDoc) : undefined };
}
