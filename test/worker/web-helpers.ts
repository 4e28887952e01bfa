// A tiny browser stand-in for the web-page tests: keeps cookies, reads CSRF tokens out of forms.
import { BASE, call } from "./helpers";

export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly base = BASE) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await call(new URL(path, this.base).href, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getAll("Set-Cookie")) {
      const [pair, ...attrs] = line.split(";");
      const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
      const expired = attrs.some((a) => /^\s*max-age=0$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  /** POSTs a form the way a browser on this site does (same Origin header). */
  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: new URL(this.base).origin, ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  }

  /** The CSRF token in the forms of the page at `path`. */
  async csrf(path = "/login"): Promise<string> {
    const html = await (await this.fetch(path)).text();
    const match = /name="csrf" value="([^"]+)"/.exec(html);
    if (!match) throw new Error(`no CSRF token on ${path}`);
    return match[1];
  }

  async login(handleOrEmail: string, password: string): Promise<Response> {
    return this.post("/login", { csrf: await this.csrf("/login"), handleOrEmail, password });
  }
}

/** One Set-Cookie line by cookie name. */
export function setCookieLine(res: Response, name: string): string | undefined {
  return res.headers.getAll("Set-Cookie").find((line) => line.startsWith(`${name}=`));
}
