import http from "node:http";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RegistryServer, startRegistry } from "../helpers/registry-server";
import {
  type CliSandbox,
  createPublisher,
  createSandbox,
  type FakeRegistry,
  type FakeResponse,
  installRecord,
  publishVersions,
  readJsonFile,
  startFakeRegistry,
  writeSkillFolder,
} from "./cli-helpers";

// The CLI on a real network, simulated on loopback: a registry that fails a few times and then
// answers, one that rate-limits with Retry-After, one that never answers; a publish whose reply is
// lost after the registry stored it; an HTTP proxy that must be tunnelled through with CONNECT.

let server: RegistryServer;
let publisher: CliSandbox;
const sandboxes: CliSandbox[] = [];
/** A fresh user with nothing installed (cleaned up at the end). */
const freshSandbox = (url: string) => {
  const s = createSandbox(url);
  sandboxes.push(s);
  return s;
};
/** Everything the sandbox inherits from this process about proxies, cleared. */
const NO_PROXY_ENV = { HTTP_PROXY: undefined, http_proxy: undefined, HTTPS_PROXY: undefined, https_proxy: undefined };
const NO_BYPASS_ENV = { NO_PROXY: undefined, no_proxy: undefined };

beforeAll(async () => {
  server = await startRegistry();
  publisher = createSandbox(server.url);
  await createPublisher(publisher, "acme");
  await publishVersions(publisher, "@acme/net", ["1.0.0"]);
});
afterAll(async () => {
  await server?.stop();
  publisher?.cleanup();
  for (const s of sandboxes) s.cleanup();
});

/** Accepts connections, reads requests and never answers: the registry behind a dead load balancer. */
async function startSilentServer() {
  const sockets = new Set<net.Socket>();
  let requests = 0;
  const silent = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => {
      if (/^[A-Z]+ \/\S* HTTP\/1\.1\r\n/.test(chunk.toString("latin1"))) requests += 1;
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}`,
    requests: () => requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        silent.close(() => resolve());
      }),
  };
}

describe("retries against a flaky registry", () => {
  let fake: FakeRegistry;
  let intercept: (req: { method: string; path: string }) => Promise<FakeResponse | undefined> = async () => undefined;
  const times: number[] = [];
  beforeAll(async () => {
    fake = await startFakeRegistry(server.url, (req) => {
      times.push(Date.now());
      return intercept(req);
    });
  });
  afterAll(async () => {
    await fake?.stop();
  });
  /** Answers the first `n` requests matching `match` with `answer`, then lets them through. */
  function failFirst(n: number, match: (req: { method: string; path: string }) => boolean, answer: FakeResponse) {
    let left = n;
    intercept = async (req) => {
      if (!match(req) || left <= 0) return undefined;
      left -= 1;
      return answer;
    };
  }
  const isSearch = (req: { method: string; path: string }) => req.method === "GET" && req.path === "/skills";
  const searches = () => fake.requests.filter((r) => r === "GET /skills").length;
  const unavailable = { status: 503, body: JSON.stringify({ error: "Upstream busy.", code: "UNAVAILABLE" }) };

  it("503 twice, then the answer: the command succeeds on the third try", async () => {
    const cli = freshSandbox(fake.url);
    const before = searches();
    failFirst(2, isSearch, unavailable);
    const { code, stdout, stderr } = await cli.run(["search", "net"], { env: { SKILD_VERBOSE: "1" } });
    expect(code).toBe(0);
    expect(stdout).toContain("@acme/net");
    expect(searches() - before).toBe(3);
    expect(stderr.match(/GET \/skills\?\S*: 503 Service Unavailable; retrying/g)).toHaveLength(2);
  });

  it("connections cut twice, then the answer: the command succeeds", async () => {
    const cli = freshSandbox(fake.url);
    const before = searches();
    failFirst(2, isSearch, { raw: (res) => res.socket?.destroy() });
    const { code, stdout } = await cli.run(["search", "net"]);
    expect(code).toBe(0);
    expect(stdout).toContain("@acme/net");
    expect(searches() - before).toBe(3);
  });

  it("429 with Retry-After: waits as long as asked before the next try", async () => {
    const cli = freshSandbox(fake.url);
    times.length = 0;
    failFirst(1, isSearch, {
      status: 429,
      headers: { "Retry-After": "1" },
      body: JSON.stringify({ error: "Too many requests.", code: "RATE_LIMITED" }),
    });
    const { code, stderr } = await cli.run(["search", "net"], { env: { SKILD_VERBOSE: "1" } });
    expect(code).toBe(0);
    expect(stderr).toMatch(/GET \/skills\?\S*: 429 Too Many Requests; retrying in 1 s as asked/);
    expect(times).toHaveLength(2);
    // A lower bound only: the retry never comes early (however slow the machine is).
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(950);
  });

  it("a Retry-After longer than the whole time budget: gives up at once with the registry's message", async () => {
    const cli = freshSandbox(fake.url);
    const before = searches();
    failFirst(5, isSearch, {
      status: 429,
      headers: { "Retry-After": "3600" },
      body: JSON.stringify({ error: "Too many requests; come back in an hour.", code: "RATE_LIMITED" }),
    });
    const { code, stderr } = await cli.run(["search", "net"], { env: { SKILD_FETCH_MAX_TIME: "5000" } });
    expect(code).toBe(1);
    expect(stderr).toBe("skild: Too many requests; come back in an hour.\n");
    expect(searches() - before).toBe(1);
  });

  it("always 503: gives up after 1 + SKILD_FETCH_RETRIES tries with the registry's own message", async () => {
    const cli = freshSandbox(fake.url);
    const before = searches();
    failFirst(100, isSearch, unavailable);
    const { code, stderr } = await cli.run(["search", "net"], { env: { SKILD_FETCH_RETRIES: "2" } });
    expect(code).toBe(1);
    // Without SKILD_VERBOSE (and not on a terminal) a script sees only the final error line.
    expect(stderr).toBe("skild: Upstream busy.\n");
    expect(searches() - before).toBe(3);
  });

  it("never retries a POST the registry may have processed (a 503 on login is final)", async () => {
    const cli = freshSandbox(fake.url);
    const posts = () => fake.requests.filter((r) => r === "POST /auth/login").length;
    const before = posts();
    failFirst(100, (req) => req.method === "POST" && req.path === "/auth/login", unavailable);
    const { code, stderr } = await cli.run(["login", "--handle-or-email", "acme", "--password-stdin"], {
      input: "whatever\n",
    });
    expect(code).toBe(1);
    expect(stderr).toContain("Upstream busy.");
    expect(posts() - before).toBe(1);
  });

  it("a tarball download that fails with 502 once is fetched again and installed", async () => {
    const cli = freshSandbox(fake.url);
    failFirst(1, (req) => req.path.endsWith("/tarball"), {
      status: 502,
      body: JSON.stringify({ error: "Bad gateway.", code: "BAD_GATEWAY" }),
    });
    await cli.ok(["install", "@acme/net", "-t", "codex", "--local"]);
    expect(installRecord(path.join(cli.project, ".agents/skills/acme__net")).resolvedVersion).toBe("1.0.0");
    expect(fake.requests.filter((r) => r.endsWith("/tarball")).length).toBeGreaterThanOrEqual(2);
  });
});

describe("a registry that never answers", () => {
  it("times out each try and gives up after the retries, with a clear error", async () => {
    const silent = await startSilentServer();
    try {
      const cli = freshSandbox(silent.url);
      const { code, stderr } = await cli.run(["search", "x"], {
        env: { SKILD_FETCH_TIMEOUT: "400", SKILD_FETCH_RETRIES: "2" },
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(
        /^skild: Cannot reach the registry at http:\/\/127\.0\.0\.1:\d+ \(timed out\)\. Is it running\? Check --registry or SKILD_REGISTRY_URL\.\n$/,
      );
      expect(silent.requests()).toBe(3);
    } finally {
      await silent.stop();
    }
  });

  it("stops when the total time budget is spent, however many retries are allowed", async () => {
    const silent = await startSilentServer();
    try {
      const cli = freshSandbox(silent.url);
      const { code, stderr } = await cli.run(["search", "x"], {
        env: { SKILD_FETCH_TIMEOUT: "400", SKILD_FETCH_RETRIES: "1000", SKILD_FETCH_MAX_TIME: "1500" },
      });
      expect(code).toBe(1);
      expect(stderr).toContain("(timed out)");
      // 1.5 s of budget at 0.4 s a try: a handful of tries, nowhere near 1000.
      expect(silent.requests()).toBeGreaterThanOrEqual(2);
      expect(silent.requests()).toBeLessThanOrEqual(5);
    } finally {
      await silent.stop();
    }
  });
});

/**
 * A TCP proxy in front of the registry that forwards every request but, for the next `drops`
 * publish POSTs, cuts the client's connection as soon as the registry starts to answer: the
 * registry has stored the version, the client never learns it.
 */
async function startReplyDropper(upstream: string) {
  const { port } = new URL(upstream);
  const state = { drops: 0, publishPosts: 0 };
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((client) => {
    const upstreamSocket = net.connect(Number(port), "127.0.0.1");
    sockets.add(client);
    sockets.add(upstreamSocket);
    let dropReply = false;
    client.on("data", (chunk) => {
      if (/^POST \S+\/publish\b/m.test(chunk.toString("latin1"))) {
        state.publishPosts += 1;
        if (state.drops > 0) {
          state.drops -= 1;
          dropReply = true;
        }
      }
      upstreamSocket.write(chunk);
    });
    upstreamSocket.on("data", (chunk) => {
      if (dropReply) {
        client.destroy();
        upstreamSocket.destroy();
      } else client.write(chunk);
    });
    client.on("close", () => upstreamSocket.destroy());
    upstreamSocket.on("close", () => client.destroy());
    client.on("error", () => {});
    upstreamSocket.on("error", () => {});
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

describe("skild publish when the reply is lost", () => {
  /** The publisher's token, for publishing through a loopback hop whose URL it never logged in to. */
  const asPublisher = () => {
    const auth = readJsonFile<{ registries: Record<string, { token: string }> }>(
      path.join(publisher.skildHome, "registry-auth.json"),
    );
    return { SKILD_TOKEN: Object.values(auth.registries)[0].token };
  };
  /** The registry's view of a version: its integrity, or the HTTP status when it has none. */
  async function integrityOnRegistry(name: string, version: string) {
    const res = await fetch(`${server.url}/skills/${name}/versions/${version}`);
    return res.ok ? ((await res.json()) as { integrity: string }).integrity : res.status;
  }

  it("the registry stored it but the reply was cut: checks, finds its own bytes, exits 0", async () => {
    const dropper = await startReplyDropper(server.url);
    try {
      const dir = writeSkillFolder(publisher.root, { name: "lost", version: "1.0.0" });
      const dry = await publisher.json<{ integrity: string }>([
        "publish",
        "--dir",
        dir,
        "--name",
        "@acme/lost",
        "--dry-run",
      ]);
      dropper.state.drops = 1;
      const { code, stdout, stderr } = await publisher.run(
        ["publish", "--dir", dir, "--name", "@acme/lost", "--registry", dropper.url],
        { env: asPublisher() },
      );
      expect({ code, stderr }).toMatchObject({ code: 0 });
      expect(stderr).toContain("Checking whether @acme/lost@1.0.0 landed before trying again");
      expect(stdout).toContain("@acme/lost@1.0.0 already published (identical)");
      // One POST only: the check found the version, so nothing was sent twice.
      expect(dropper.state.publishPosts).toBe(1);
      expect(await integrityOnRegistry("@acme/lost", "1.0.0")).toBe(dry.integrity);

      // Other bytes for the same version through the same lossy path: a clear refusal.
      dropper.state.drops = 1;
      const changed = writeSkillFolder(publisher.root, { name: "lost", version: "1.0.0", body: "# Changed\n" });
      const other = await publisher.run(
        ["publish", "--dir", changed, "--name", "@acme/lost", "--registry", dropper.url],
        { env: asPublisher() },
      );
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(/skild: @acme\/lost@1\.0\.0 already exists with different contents/);
    } finally {
      await dropper.stop();
    }
  });

  it("the registry never got it (a 502 from a proxy): checks, finds nothing, publishes once more", async () => {
    let failed = false;
    const fake = await startFakeRegistry(server.url, async (req) => {
      if (req.method === "POST" && req.path.endsWith("/publish") && !failed) {
        failed = true;
        return { status: 502, body: JSON.stringify({ error: "Bad gateway.", code: "BAD_GATEWAY" }) };
      }
      return undefined;
    });
    try {
      const dir = writeSkillFolder(publisher.root, { name: "second-try", version: "1.0.0" });
      const { code, stdout } = await publisher.run(
        ["publish", "--dir", dir, "--name", "@acme/second-try", "--registry", fake.url],
        { env: asPublisher() },
      );
      expect(code).toBe(0);
      expect(stdout).toContain("Published @acme/second-try@1.0.0");
      expect(fake.requests.filter((r) => r.includes("second-try"))).toEqual([
        "POST /skills/acme/second-try/publish",
        "GET /skills/acme/second-try/versions/1.0.0",
        "POST /skills/acme/second-try/publish",
      ]);
      expect(typeof (await integrityOnRegistry("@acme/second-try", "1.0.0"))).toBe("string");
    } finally {
      await fake.stop();
    }
  });
});

/**
 * An HTTP proxy that only tunnels (CONNECT), as undici's EnvHttpProxyAgent uses even for http://
 * targets. It records each tunnel's target and Proxy-Authorization, and with `requireAuth` refuses
 * others with 407.
 */
async function startConnectProxy(requireAuth?: string) {
  const tunnels: { target: string; auth: string | undefined }[] = [];
  const sockets = new Set<net.Socket>();
  const proxy = http.createServer((_req, res) => {
    res.writeHead(501);
    res.end("this proxy only tunnels");
  });
  proxy.on("connect", (req, client: net.Socket, head: Buffer) => {
    sockets.add(client);
    client.on("error", () => {});
    const auth = req.headers["proxy-authorization"];
    tunnels.push({ target: req.url ?? "", auth });
    if (requireAuth && auth !== requireAuth) {
      client.end(
        "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n",
      );
      return;
    }
    const [host, port] = (req.url ?? "").split(":");
    const upstream = net.connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    address: `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`,
    tunnels,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

describe("proxies from the environment", () => {
  const registryHost = () => new URL(server.url).host;

  it("HTTP_PROXY: every request, tarball included, goes through the proxy's CONNECT tunnel with its credentials", async () => {
    const expected = `Basic ${Buffer.from("proxyuser:s3cret-pass").toString("base64")}`;
    const proxy = await startConnectProxy(expected);
    try {
      const cli = freshSandbox(server.url);
      await cli.ok(["install", "@acme/net", "-t", "codex", "--local"], {
        env: { ...NO_PROXY_ENV, ...NO_BYPASS_ENV, HTTP_PROXY: `http://proxyuser:s3cret-pass@${proxy.address}` },
      });
      expect(installRecord(path.join(cli.project, ".agents/skills/acme__net")).resolvedVersion).toBe("1.0.0");
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(1);
      for (const t of proxy.tunnels) expect(t).toEqual({ target: registryHost(), auth: expected });
    } finally {
      await proxy.stop();
    }
  });

  it("lowercase http_proxy works too; NO_PROXY bypasses the proxy for the hosts it names", async () => {
    const proxy = await startConnectProxy();
    try {
      const cli = freshSandbox(server.url);
      await cli.ok(["search", "net"], {
        env: { ...NO_PROXY_ENV, ...NO_BYPASS_ENV, http_proxy: `http://${proxy.address}` },
      });
      const tunnelled = proxy.tunnels.length;
      expect(tunnelled).toBeGreaterThanOrEqual(1);
      await cli.ok(["install", "@acme/net", "-t", "codex", "--local"], {
        env: { ...NO_PROXY_ENV, ...NO_BYPASS_ENV, http_proxy: `http://${proxy.address}`, NO_PROXY: "127.0.0.1" },
      });
      expect(proxy.tunnels.length).toBe(tunnelled);
    } finally {
      await proxy.stop();
    }
  });

  it("a proxy that refuses the credentials: a clear error that never prints them", async () => {
    const proxy = await startConnectProxy("Basic something-else");
    try {
      const cli = freshSandbox(server.url);
      const { code, stdout, stderr } = await cli.run(["search", "net"], {
        env: {
          ...NO_PROXY_ENV,
          ...NO_BYPASS_ENV,
          HTTP_PROXY: `http://proxyuser:s3cret-pass@${proxy.address}`,
          SKILD_FETCH_RETRIES: "1",
        },
      });
      expect(code).toBe(1);
      expect(stderr).toMatch(/skild: Cannot reach the registry at http:\/\/127\.0\.0\.1:\d+ \(.+\)/);
      expect(`${stdout}${stderr}`).not.toContain("s3cret-pass");
    } finally {
      await proxy.stop();
    }
  });
});
