// Node-pool setup: fetch without keep-alive. workerd closes an idle connection after 5 s and sends no
// Keep-Alive hint; a test that blocks its event loop that long (spawnSync of the CLI or of wrangler)
// would otherwise reuse a socket the server has already closed and fail with "other side closed".
import { Agent, setGlobalDispatcher } from "undici";

setGlobalDispatcher(new Agent({ pipelining: 0 }));
