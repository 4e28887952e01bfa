// The anchor: the fastest any Worker can answer under this wrangler, one constant body per request.
const BODY = JSON.stringify({ hello: "world" });

export default {
  fetch() {
    return new Response(BODY, { headers: { "Content-Type": "application/json" } });
  },
};
