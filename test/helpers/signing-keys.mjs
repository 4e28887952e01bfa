// Fixed ECDSA P-256 keys for tests only (PKCS8 DER, base64 on one line: the format `npm start`
// generates). Never used outside tests; a deployment puts its own key with `wrangler secret put`.

/** The key the test registries sign with (vitest's Worker pool binding; Node-pool registries). */
export const TEST_SIGNING_KEY =
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNNw5eoEl8LrXwhfewRBK3906IJER1kfvhwHBWSoaz6mhRANCAAQGi9Twn2RhutI5UOJk8ItsrqqUEzgxYQV1RXu7NaIiiH5eKwWI9OVug7rs5aW8QTHoL85Wc/quCleE+pTJEuJy";

/** A second key, for rotation tests: the "new" key that replaces TEST_SIGNING_KEY. */
export const TEST_NEXT_SIGNING_KEY =
  "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgEgmyp/VCXg8cauW+J0ob96WVtcbt2Y3cEayC4aJ3ItmhRANCAASX0JULYT9hkR3erHeM22AK8Zz2MonYoK6jYfRZX2U3JDZPA+lCpi9i75/TjtB5neJ6xl4EGvPFkIw5n9gp+6Qn";
