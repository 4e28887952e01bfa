// The Worker's own V8 heap, read over the DevTools protocol from wrangler dev's inspector port
// (`Runtime.getHeapUsage`). Node 20 has no WebSocket client without a flag, so this speaks the few
// WebSocket frames it needs over node:http. No Origin/User-Agent header is sent: wrangler's inspector
// proxy accepts such local clients (as it does VS Code).
import { randomBytes } from "node:crypto";
import http from "node:http";

/**
 * @typedef {object} Inspector
 * @property {(method: string, params?: object) => Promise<any>} send
 * @property {() => void} close
 */

/** @param {Buffer} payload @param {number} opcode */
function frame(payload, opcode = 0x1) {
  const mask = randomBytes(4);
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length])
      : length < 65536
        ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), bigLength(length)]);
  const masked = Buffer.alloc(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i] ^ mask[i % 4];
  return Buffer.concat([header, mask, masked]);
}

/** @param {number} length */
function bigLength(length) {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(length));
  return b;
}

/**
 * The WebSocket path of the first Worker the inspector lists (`/json/list`: Miniflare names it
 * `/core:user:<worker>`); `/ws` (wrangler dev's proxy) when it lists none.
 * @param {number} port
 */
async function debuggerPath(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/json/list`);
    const targets = /** @type {{ webSocketDebuggerUrl?: string }[]} */ (await res.json());
    const url = targets.find((t) => t.webSocketDebuggerUrl)?.webSocketDebuggerUrl;
    if (url) return new URL(url).pathname;
  } catch {}
  return "/ws";
}

/**
 * Connects to the inspector's WebSocket on `127.0.0.1:<port>`.
 * @param {number} port
 * @param {number} [timeoutMs]
 * @returns {Promise<Inspector>}
 */
export async function connectInspector(port, timeoutMs = 10_000) {
  const wsPath = await debuggerPath(port);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      path: wsPath,
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": randomBytes(16).toString("base64"),
      },
      timeout: timeoutMs,
    });
    req.once("timeout", () => req.destroy(new Error(`inspector on port ${port} did not answer`)));
    req.once("error", reject);
    req.once("response", (res) => {
      res.resume();
      reject(new Error(`inspector refused the connection: HTTP ${res.statusCode}`));
    });
    req.once("upgrade", (_res, socket, head) => {
      req.setTimeout(0);
      socket.setTimeout(0);
      /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void }>} */
      const pending = new Map();
      let nextId = 1;
      let buffer = head;
      /** @type {Buffer[]} */
      let fragments = [];
      socket.on("data", (chunk) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          if (buffer.length < 2) return;
          const fin = (buffer[0] & 0x80) !== 0;
          const opcode = buffer[0] & 0x0f;
          let length = buffer[1] & 0x7f;
          let offset = 2;
          if (length === 126) {
            if (buffer.length < 4) return;
            length = buffer.readUInt16BE(2);
            offset = 4;
          } else if (length === 127) {
            if (buffer.length < 10) return;
            length = Number(buffer.readBigUInt64BE(2));
            offset = 10;
          }
          if (buffer.length < offset + length) return;
          const payload = buffer.subarray(offset, offset + length);
          buffer = buffer.subarray(offset + length);
          if (opcode === 0x9) socket.write(frame(payload, 0xa)); // ping → pong
          if (opcode !== 0x1 && opcode !== 0x0) continue;
          fragments.push(payload);
          if (!fin) continue;
          const text = Buffer.concat(fragments).toString("utf8");
          fragments = [];
          const message = JSON.parse(text);
          const waiter = message.id === undefined ? undefined : pending.get(message.id);
          if (!waiter) continue;
          pending.delete(message.id);
          if (message.error) waiter.reject(new Error(message.error.message));
          else waiter.resolve(message.result);
        }
      });
      const failAll = () => {
        for (const waiter of pending.values()) waiter.reject(new Error("inspector connection closed"));
        pending.clear();
      };
      socket.once("close", failAll);
      socket.once("error", failAll);
      resolve({
        send(method, params = {}) {
          const id = nextId++;
          return new Promise((res, rej) => {
            pending.set(id, { resolve: res, reject: rej });
            socket.write(frame(Buffer.from(JSON.stringify({ id, method, params }))));
          });
        },
        close() {
          socket.end(frame(Buffer.alloc(0), 0x8));
          socket.destroy();
        },
      });
    });
    req.end();
  });
}

/**
 * Polls the isolate's memory (V8 heap used + embedder + ArrayBuffer backing stores, MiB) every
 * `intervalMs` until stopped; returns the start and peak values and the peak V8 heap size.
 * @param {number} inspectorPort
 * @param {number} [intervalMs]
 */
export async function sampleHeap(inspectorPort, intervalMs = 100) {
  const inspector = await connectInspector(inspectorPort);
  const usage = async () => {
    const heap = await inspector.send("Runtime.getHeapUsage");
    // JS heap in use, plus what the embedder and ArrayBuffer backing stores (bodies, bytes) hold.
    const used = heap.usedSize + (heap.embedderHeapUsedSize ?? 0) + (heap.backingStorageSize ?? 0);
    return { usedMiB: used / 2 ** 20, totalMiB: heap.totalSize / 2 ** 20 };
  };
  const start = await usage();
  let peakUsed = start.usedMiB;
  let peakTotal = start.totalMiB;
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Promise((r) => setTimeout(r, intervalMs));
      try {
        const now = await usage();
        peakUsed = Math.max(peakUsed, now.usedMiB);
        peakTotal = Math.max(peakTotal, now.totalMiB);
      } catch {
        return;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      inspector.close();
      return { startUsedMiB: start.usedMiB, peakUsedMiB: peakUsed, peakTotalMiB: peakTotal };
    },
  };
}
