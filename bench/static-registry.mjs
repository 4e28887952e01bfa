// The floor for a cold `npm install`: a registry that does no work at all. It answers the packument
// and tarball of one package from memory (bytes copied from a real registry, tarball URLs pointed at
// itself), so npm's time against it is npm's own: start-up, resolving, cache writes, extraction.
// No registry can make `npm install` faster than this on the same machine.
import http from "node:http";

/**
 * @param {{ from: string, name: string }} source a running registry and the package to copy from it
 * @returns {Promise<{ url: string, stop: () => Promise<void> }>}
 */
export async function startStaticRegistry(source) {
  const packumentPath = `/${source.name.replace("/", "%2f")}`;
  const res = await fetch(source.from + packumentPath, { headers: { Accept: "application/vnd.npm.install-v1+json" } });
  if (!res.ok) throw new Error(`static registry: ${packumentPath} answered ${res.status}`);
  const packumentText = await res.text();
  const latest = JSON.parse(packumentText)["dist-tags"].latest;
  const tarballUrl = new URL(JSON.parse(packumentText).versions[latest].dist.tarball);
  const tarball = Buffer.from(await (await fetch(tarballUrl)).arrayBuffer());

  /** @type {Map<string, { body: Buffer, type: string }>} */
  const routes = new Map();
  const server = http.createServer((req, reply) => {
    const route = routes.get(req.url ?? "");
    if (!route) {
      reply.writeHead(404, { "Content-Type": "application/json" }).end('{"error":"Not found"}');
      return;
    }
    reply.writeHead(200, { "Content-Type": route.type, "Content-Length": route.body.length }).end(route.body);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  const url = `http://127.0.0.1:${port}`;
  const packument = packumentText.replaceAll(tarballUrl.origin, url);
  routes.set(packumentPath, { body: Buffer.from(packument), type: "application/vnd.npm.install-v1+json" });
  routes.set(tarballUrl.pathname, { body: tarball, type: "application/octet-stream" });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
