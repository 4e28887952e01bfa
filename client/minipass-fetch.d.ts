// minipass-fetch ships no types. The CLI calls it as a fetch (client/core/http.js); its Response is
// fetch's Response with a Node stream as the body.
declare module "minipass-fetch" {
  const fetch: (url: string, init?: unknown) => Promise<unknown>;
  export default fetch;
}
