// Commerce Layer's own client, @commercelayer/js-auth, against the gatehouse binary.
//
// js-auth always calls `https://auth.<domain>` (here auth.gatehouse.test behind a local TLS
// proxy, see support.mjs), finds the JWKS from the token's `iss` (so the issuer must be that
// https://auth.… URL), and verifies only RS512 keys: Gatehouse runs with RS512 signing keys
// for it (`--algorithm RS512` for the development key; `gatehouse keys` for real ones).
//
// Run: `node --test` in this folder (scripts/test does). GATEHOUSE_BIN: the gatehouse binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  authenticate, createAssertion, getTokenType, jwtDecode, jwtIsIntegration, jwtIsSalesChannel, jwtIsWebApp, jwtVerify, makeSalesChannel, revoke,
  InvalidTokenError,
} from '@commercelayer/js-auth';

import { createHash, randomBytes } from 'node:crypto';

import {
  ADMIN, BOB, INTEGRATION, INTEGRATION_SECRET, STEP_TIMEOUT_MS, STOREFRONT, WEBAPP, WEBAPP_REDIRECT, WEBAPP_SECRET,
  signInAndAllow, startGatehouseOverTls, writeTempJson,
} from './support.mjs';
import { demoSeed } from './seed.mjs';

let rs512; // gatehouse signing with RS512, as js-auth needs
let es256; // gatehouse with its default, ES256

before(async () => {
  rs512 = await startGatehouseOverTls(['--algorithm', 'RS512']);
  es256 = await startGatehouseOverTls();
});
after(async () => {
  await rs512?.stop();
  await es256?.stop();
});

/** js-auth's storage interface, in memory. */
function memoryStorage() {
  const items = new Map();
  return {
    name: 'memory',
    items,
    getItem: async (key) => items.get(key) ?? null,
    setItem: async (key, value) => { items.set(key, value); },
    removeItem: async (key) => { items.delete(key); },
  };
}

function signInBob(domain) {
  return authenticate('password', {
    domain, clientId: STOREFRONT, username: BOB.email, password: BOB.password, scope: 'market:1001',
  });
}

/** RFC 7009 revocation of a refresh token, without js-auth (see the last test). */
async function revokeRefreshToken(issuer, refreshToken) {
  const response = await fetch(new URL('/oauth/revoke', issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: STOREFRONT, token: refreshToken, token_type_hint: 'refresh_token' }),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  assert.equal(response.status, 200, await response.text());
}

test('js-auth gets a sales channel token and verifies it with RS512 from the JWKS its iss names', async () => {
  const token = await authenticate('client_credentials', { domain: rs512.domain, clientId: STOREFRONT, scope: 'market:code:eu' });
  assert.equal(token.errors, undefined, JSON.stringify(token.errors));
  assert.equal(token.tokenType, 'bearer');
  assert.equal(token.scope, 'market:code:eu');
  assert.ok(token.expires instanceof Date);
  assert.equal(token.expiresIn, 14400);
  const { header, payload } = await jwtVerify(token.accessToken);
  assert.equal(header.alg, 'RS512');
  assert.equal(payload.iss, rs512.issuer);
  assert.equal(payload.market.number, 1001);
  assert.ok(jwtIsSalesChannel(payload));
});

test('js-auth gets an integration token with the client secret', async () => {
  const token = await authenticate('client_credentials', { domain: rs512.domain, clientId: INTEGRATION, clientSecret: INTEGRATION_SECRET });
  assert.equal(token.scope, 'market:all');
  assert.ok(jwtIsIntegration((await jwtVerify(token.accessToken)).payload));
});

test("js-auth signs a customer in by password, refreshes, and reads Gatehouse's errors", async () => {
  const customer = await signInBob(rs512.domain);
  assert.equal(customer.ownerType, 'customer');
  assert.equal(customer.ownerId, 'cus_bob');
  assert.equal((await jwtVerify(customer.accessToken)).payload.owner.id, 'cus_bob');
  const refreshed = await authenticate('refresh_token', { domain: rs512.domain, clientId: STOREFRONT, refreshToken: customer.refreshToken });
  assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
  assert.notEqual(refreshed.refreshToken, customer.refreshToken);

  // js-auth reads errors from the JSON:API `errors` array Gatehouse sends beside RFC 6749's fields.
  const refused = await authenticate('password', {
    domain: rs512.domain, clientId: STOREFRONT, username: BOB.email, password: 'not-bobs-password', scope: 'market:1001',
  });
  assert.equal(refused.errors.length, 1);
  assert.equal(refused.errors[0].title, 'invalid_grant');
  assert.equal(refused.errors[0].status, 400);
});

test("js-auth's jwtVerify cannot verify ES256 tokens: it needs Gatehouse signing with RS512", async () => {
  const token = await authenticate('client_credentials', { domain: es256.domain, clientId: STOREFRONT, scope: 'market:1001' });
  assert.equal(token.errors, undefined, JSON.stringify(token.errors));
  await assert.rejects(jwtVerify(token.accessToken), (error) => !(error instanceof InvalidTokenError) && error.name === 'DataError');
});

test('js-auth caches tokens by the scope it was configured with, which Gatehouse answers as asked', async () => {
  // Stored under the answered scope, looked up under the configured one: they are the same,
  // by code as by number, so the second call finds the first token.
  const byCode = makeSalesChannel({ clientId: STOREFRONT, scope: 'market:code:eu', domain: rs512.domain }, { storage: memoryStorage() });
  const first = await byCode.getAuthorization();
  const second = await byCode.getAuthorization();
  assert.equal(second.accessToken, first.accessToken);

  const byNumber = makeSalesChannel({ clientId: STOREFRONT, scope: 'market:1001', domain: rs512.domain }, { storage: memoryStorage() });
  const cached = await byNumber.getAuthorization();
  assert.equal(cached.ownerType, 'guest');
  assert.equal((await byNumber.getAuthorization()).accessToken, cached.accessToken);
});

/** The status and first error code of `GET /api/skus` with `accessToken`. */
async function apiStatus(issuer, accessToken) {
  const response = await fetch(new URL('/api/skus', issuer), {
    headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.api+json' },
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const body = await response.json();
  return [response.status, body.errors?.[0]?.code];
}

test("js-auth's logoutCustomer ends the customer's session: the access token it sends and the login's refresh token", async () => {
  const storage = memoryStorage();
  const salesChannel = makeSalesChannel({ clientId: STOREFRONT, scope: 'market:1001', domain: rs512.domain }, { storage });
  const customer = await signInBob(rs512.domain);
  await salesChannel.setCustomer({ accessToken: customer.accessToken, scope: customer.scope, refreshToken: customer.refreshToken });
  const signedIn = await salesChannel.getAuthorization();
  assert.equal(signedIn.ownerType, 'customer');
  assert.equal(signedIn.ownerId, 'cus_bob');
  assert.deepEqual(await apiStatus(rs512.issuer, customer.accessToken), [200, undefined]);

  // logoutCustomer posts the *access token* to /oauth/revoke (JSON, client_id and token):
  // Gatehouse revokes it and the login (refresh-token family) it belongs to.
  assert.deepEqual(await salesChannel.logoutCustomer(), {});
  assert.equal((await salesChannel.getAuthorization()).ownerType, 'guest');
  assert.deepEqual(await apiStatus(rs512.issuer, customer.accessToken), [401, 'INVALID_TOKEN']);
  const afterLogout = await authenticate('refresh_token', { domain: rs512.domain, clientId: STOREFRONT, refreshToken: customer.refreshToken });
  assert.equal(afterLogout.errors?.[0]?.title, 'invalid_grant', JSON.stringify(afterLogout));
});

test("js-auth's revoke ends an access token and its login; another client's token is refused with 403", async () => {
  const customer = await signInBob(rs512.domain);
  const other = await signInBob(rs512.domain);
  // Revoked by another client: refused, and the token lives on.
  const refused = await revoke({ clientId: INTEGRATION, clientSecret: INTEGRATION_SECRET, token: customer.accessToken });
  assert.equal(refused.errors?.[0]?.title, 'unauthorized_client', JSON.stringify(refused));
  assert.equal(refused.errors?.[0]?.status, 403);
  assert.deepEqual(await apiStatus(rs512.issuer, customer.accessToken), [200, undefined]);

  assert.deepEqual(await revoke({ clientId: STOREFRONT, token: customer.accessToken }), {});
  assert.deepEqual(await apiStatus(rs512.issuer, customer.accessToken), [401, 'INVALID_TOKEN']);
  const afterRevoke = await authenticate('refresh_token', { domain: rs512.domain, clientId: STOREFRONT, refreshToken: customer.refreshToken });
  assert.equal(afterRevoke.errors?.[0]?.title, 'invalid_grant');
  // The customer's other login is another session.
  assert.deepEqual(await apiStatus(rs512.issuer, other.accessToken), [200, undefined]);

  // js-auth's revoke() takes the issuer from the token it revokes, so it cannot send an opaque
  // refresh token; a plain RFC 7009 request does, and ends that login too.
  await assert.rejects(revoke({ clientId: STOREFRONT, token: other.refreshToken }), InvalidTokenError);
  await revokeRefreshToken(rs512.issuer, other.refreshToken);
  assert.deepEqual(await apiStatus(rs512.issuer, other.accessToken), [401, 'INVALID_TOKEN']);
});

/** A webapp's token by the authorization code flow (PKCE, S256), signed in as `who`. */
async function webappToken(gatehouse, who) {
  const verifier = randomBytes(32).toString('base64url');
  const authorizeUrl = new URL('/oauth/authorize', gatehouse.issuer);
  for (const [name, value] of Object.entries({
    response_type: 'code', client_id: WEBAPP, redirect_uri: WEBAPP_REDIRECT, scope: 'market:1001', state: 's',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  })) authorizeUrl.searchParams.set(name, value);
  const callback = await signInAndAllow(authorizeUrl.href, who);
  const response = await fetch(new URL('/oauth/token', gatehouse.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: WEBAPP_REDIRECT,
      code_verifier: verifier, client_id: WEBAPP, client_secret: WEBAPP_SECRET,
    }),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token;
}

test("js-auth's jwtDecode, jwtVerify and getTokenType read the token of every grant", async () => {
  const bob = await signInBob(rs512.domain);
  const refreshed = await authenticate('refresh_token', { domain: rs512.domain, clientId: STOREFRONT, refreshToken: bob.refreshToken });
  const guest = await authenticate('client_credentials', { domain: rs512.domain, clientId: STOREFRONT, scope: 'market:1001' });
  const integration = await authenticate('client_credentials', { domain: rs512.domain, clientId: INTEGRATION, clientSecret: INTEGRATION_SECRET });
  // What each grant's token is, from the seed: the application's kind and the owner, if any.
  const cases = [
    [guest.accessToken, 'sales_channel:guest'],
    [integration.accessToken, 'integration:guest'],
    [bob.accessToken, 'sales_channel:customer'],
    [refreshed.accessToken, 'sales_channel:customer'],
    [await webappToken(rs512, ADMIN), 'webapp:user'],
  ];
  for (const [token, type] of cases) {
    const { payload } = jwtDecode(token);
    assert.equal(getTokenType(payload), type);
    const verified = await jwtVerify(token);
    assert.deepEqual(verified.payload, payload);
    assert.equal(payload.organization.slug, demoSeed().organization.slug);
    assert.equal(typeof payload.test, 'boolean');
    assert.equal(typeof payload.application.public, 'boolean');
    // js-auth's `confidential`: the client presented a secret. Only the integration and the
    // webapp did here; the storefront is public.
    assert.equal(payload.application.confidential, !payload.application.public);
    assert.equal(payload.application.confidential, !type.startsWith('sales_channel'));
  }
  assert.ok(jwtIsWebApp(jwtDecode(cases[4][0]).payload));
  // Gatehouse's market claim names one market: `id` is its id, a string (Commerce Layer's is a
  // list), beside `number`, `price_list_id` and `stock_location_ids`.
  assert.equal(jwtDecode(guest.accessToken).payload.market.id, demoSeed().markets.find((m) => m.number === 1001).id);
});


test('a confidential sales channel authenticates with its secret, and its tokens say so', async () => {
  // The demo seed and a sales channel that holds a secret (a storefront rendered on a server).
  const shop = { clientId: 'server-shop', clientSecret: randomBytes(24).toString('hex') };
  const seed = demoSeed();
  seed.applications.push({
    id: 'app_server_shop', mode: 'test', name: 'Server-rendered shop', kind: 'sales_channel',
    client_id: shop.clientId, client_secret: shop.clientSecret, token_lifetime: null, redirect_uris: [],
  });
  const server = await startGatehouseOverTls(['--algorithm', 'RS512', '--seed', writeTempJson('confidential-seed.json', seed)]);
  try {
    const { domain } = server;
    const withoutSecret = await authenticate('client_credentials', { domain, clientId: shop.clientId, scope: 'market:1001' });
    assert.equal(withoutSecret.accessToken, undefined);
    assert.equal(withoutSecret.errors?.[0]?.title, 'invalid_client', JSON.stringify(withoutSecret.errors));
    assert.equal(withoutSecret.errors?.[0]?.status, 401, JSON.stringify(withoutSecret.errors));
    const guest = await authenticate('client_credentials', { domain, ...shop, scope: 'market:1001' });
    assert.equal(guest.errors, undefined, JSON.stringify(guest.errors));
    const bob = await authenticate('password', { domain, ...shop, username: BOB.email, password: BOB.password, scope: 'market:1001' });
    assert.equal(bob.errors, undefined, JSON.stringify(bob.errors));
    for (const [token, type] of [[guest.accessToken, 'sales_channel:guest'], [bob.accessToken, 'sales_channel:customer']]) {
      const { payload } = await jwtVerify(token);
      assert.equal(getTokenType(payload), type);
      assert.ok(jwtIsSalesChannel(payload));
      assert.equal(payload.application.client_id, shop.clientId);
      assert.equal(payload.application.confidential, true);
      assert.equal(payload.application.public, false);
    }
    // Its refresh token is renewed only with the secret.
    const refusedRefresh = await authenticate('refresh_token', { domain, clientId: shop.clientId, refreshToken: bob.refreshToken });
    assert.equal(refusedRefresh.accessToken, undefined);
    const refreshed = await authenticate('refresh_token', { domain, ...shop, refreshToken: bob.refreshToken });
    assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
  } finally {
    await server.stop();
  }
});

test("js-auth's JWT bearer call with createAssertion gets the owner's token from an application in commercelayer mode", async () => {
  const shop = { clientId: 'shop-backend', clientSecret: randomBytes(24).toString('hex') };
  const seed = demoSeed();
  seed.applications.push(
    {
      id: 'app_shop_backend', mode: 'test', name: 'Shop backend', kind: 'sales_channel',
      client_id: shop.clientId, client_secret: shop.clientSecret, token_lifetime: null, redirect_uris: [],
      jwt_bearer: { mode: 'commercelayer' },
    },
  );
  const backendSecret = randomBytes(24).toString('hex');
  const server = await startGatehouseOverTls(
    ['--algorithm', 'RS512', '--seed', writeTempJson('jwt-bearer-seed.json', seed)],
    { GATEHOUSE_BACKEND_AUTH_SECRET: backendSecret },
  );
  try {
    const { domain } = server;
    const bob = seed.customers.find((c) => c.email === BOB.email);
    const assertion = await createAssertion({
      payload: {
        'https://commercelayer.io/claims': {
          owner: { type: 'Customer', id: bob.id },
          custom_claim: { first_name: 'Bob', tier: 'gold' },
        },
      },
    });
    const grant = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
    const token = await authenticate(grant, { domain, ...shop, scope: 'market:code:eu', assertion });
    assert.equal(token.errors, undefined, JSON.stringify(token.errors));
    assert.equal(token.ownerId, bob.id);
    assert.equal(token.ownerType, 'customer');
    assert.equal(token.scope, 'market:code:eu');
    assert.ok(token.refreshToken);
    const { payload } = await jwtVerify(token.accessToken);
    assert.equal(getTokenType(payload), 'sales_channel:customer');
    assert.deepEqual(payload.owner, { id: bob.id, type: 'Customer' });
    assert.deepEqual(payload.custom_claim, { first_name: 'Bob', tier: 'gold' });
    // The refresh token it came with works as a password login's does.
    const refreshed = await authenticate('refresh_token', { domain, ...shop, refreshToken: token.refreshToken });
    assert.equal(refreshed.errors, undefined, JSON.stringify(refreshed.errors));
    assert.deepEqual(jwtDecode(refreshed.accessToken).payload.custom_claim, { first_name: 'Bob', tier: 'gold' });
    // Without the secret, no assertion is read; an owner of nobody is Commerce Layer's error.
    const publicTry = await authenticate(grant, { domain, clientId: shop.clientId, clientSecret: '', scope: 'market:1001', assertion });
    assert.equal(publicTry.errors?.[0]?.status, 401, JSON.stringify(publicTry.errors));
    const nobody = await createAssertion({ payload: { 'https://commercelayer.io/claims': { owner: { type: 'Customer', id: 'cus_nobody' } } } });
    const refused = await authenticate(grant, { domain, ...shop, scope: 'market:1001', assertion: nobody });
    assert.equal(refused.accessToken, undefined);
    assert.equal(refused.errors?.[0]?.title, 'invalid_assertion', JSON.stringify(refused.errors));
    assert.equal(refused.errors?.[0]?.status, 400);
    // js-auth's headers option carries the backend secret and the shopper's address: 40 token
    // requests for 40 shoppers from this one machine, past the 30-a-minute limit of one address.
    for (let n = 1; n <= 40; n += 1) {
      const guest = await authenticate('client_credentials', {
        domain, clientId: STOREFRONT, scope: 'market:1001',
        headers: { 'x-backend-auth': backendSecret, 'x-true-client-ip': `198.18.7.${n}` },
      });
      assert.equal(guest.errors, undefined, `shopper ${n}: ${JSON.stringify(guest.errors)}`);
    }
  } finally {
    await server.stop();
  }
});
