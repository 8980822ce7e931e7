// Benchmark peer: panva's oidc-provider (pinned in package.json) configured
// for the OAuth 2.0 client_credentials grant only, issuing ES256-signed JWT
// access tokens (RFC 9068, typ at+jwt). Used as the comparison point when our
// token server is load-tested with wrk; see README.md.
//
//   node server.mjs [port]        (default 4010, always binds 127.0.0.1)
//
// Prints exactly one line, "listening on <issuer>", once the socket is bound
// (plus oidc-provider's own start-up notices, e.g. its "Unsupported runtime"
// warning on Node < 22). Nothing is logged per request.

import { generateKeyPairSync } from 'node:crypto';

import Provider, { errors } from 'oidc-provider';

const port = Number.parseInt(process.argv[2] ?? '4010', 10);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`usage: node server.mjs [port]   (got ${JSON.stringify(process.argv[2])})`);
  process.exit(2);
}
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;

const CLIENT_ID = 'bench-client';
const CLIENT_SECRET = 'bench-secret-0123456789abcdef';
const RESOURCE = 'https://api.bench.test';
const SCOPE = 'market:1';

// A fresh P-256 signing key per process: the only asymmetric key in the
// keystore, so ES256 is the only algorithm the provider can sign with.
const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signingJwk = {
  ...privateKey.export({ format: 'jwk' }),
  kid: 'bench-es256',
  use: 'sig',
  alg: 'ES256',
};

// Minimal Map-backed adapter. Passing any adapter silences oidc-provider's
// "development-only in-memory adapter" warning. JWT-format access tokens are
// never persisted (their payload lives in the token), and the client is a
// static one, so the token hot path does not touch this at all.
const stores = new Map();
class MapAdapter {
  constructor(name) {
    if (!stores.has(name)) stores.set(name, new Map());
    this.store = stores.get(name);
  }

  async upsert(id, payload, expiresIn) {
    this.store.set(id, { payload, exp: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
  }

  async find(id) {
    const entry = this.store.get(id);
    if (!entry) return undefined;
    if (entry.exp !== undefined && entry.exp <= Date.now()) {
      this.store.delete(id);
      return undefined;
    }
    return entry.payload;
  }

  async findByUserCode() { return undefined; }

  async findByUid() { return undefined; }

  async consume(id) {
    const entry = this.store.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) { this.store.delete(id); }

  async revokeByGrantId() {}
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  jwks: { keys: [signingJwk] },
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    // client_secret_basic is accepted too: oidc-provider treats the two
    // secret-based methods as interchangeable at the token endpoint.
    token_endpoint_auth_method: 'client_secret_post',
    scope: SCOPE,
  }],
  scopes: [SCOPE],
  // The default client id_token_signed_response_alg is RS256, and with only an
  // EC key in the keystore the (lazily built) static client would fail
  // validation on its first use with invalid_client_metadata. This default is
  // also what JWT access tokens fall back to when a resource server omits alg.
  clientDefaults: {
    grant_types: ['client_credentials'],
    response_types: [],
    id_token_signed_response_alg: 'ES256',
  },
  // Same value oidc-provider's default computes, minus its "you SHOULD change
  // the default ttl.ClientCredentials" notice on the first token request.
  ttl: {
    ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL || 7200,
  },
  // No browser clients: never answer CORS preflights with an allowed origin.
  // (Also avoids the "default clientBasedCORS function called" notice.)
  clientBasedCORS: () => false,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
    userinfo: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => RESOURCE,
      getResourceServerInfo: async (_ctx, resourceIndicator) => {
        if (resourceIndicator !== RESOURCE) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: SCOPE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 7200,
          jwt: { sign: { alg: 'ES256' } },
        };
      },
      useGrantedResource: async () => true,
    },
  },
});

// Static clients are only validated on first use; do it now so that a
// misconfiguration fails start-up instead of every token request.
await provider.Client.find(CLIENT_ID);

// Koa's default error handler prints stack traces for 5xx only; keep that.
const server = provider.listen(port, host, () => {
  console.log(`listening on ${issuer}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    process.exit(0);
  });
}
