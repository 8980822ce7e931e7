// openid-client 6 (and jose for the tokens) against the gatehouse binary over HTTPS.
//
// Gatehouse is an OAuth 2.0 authorization server, not an OpenID Provider: it issues no
// id_token and has no userinfo endpoint, so it publishes RFC 8414 metadata
// (/.well-known/oauth-authorization-server) and no /.well-known/openid-configuration.
// openid-client discovers it with `algorithm: 'oauth2'`.
//
// Run: `node --test` in this folder (scripts/test does). GATEHOUSE_BIN: the gatehouse binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import * as client from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';

import {
  ADMIN, BOB, INTEGRATION, INTEGRATION_SECRET, STEP_TIMEOUT_MS, STOREFRONT, WEBAPP,
  WEBAPP_REDIRECT, WEBAPP_SECRET, signInAndAllow, startGatehouseOverTls,
} from './support.mjs';

let gatehouse;

before(async () => { gatehouse = await startGatehouseOverTls(); });
after(async () => { await gatehouse?.stop(); });

/** RFC 8414 discovery, the configuration Gatehouse needs in openid-client. */
function discover(clientId, auth) {
  return client.discovery(new URL(gatehouse.issuer), clientId, undefined, auth, {
    algorithm: 'oauth2',
    timeout: STEP_TIMEOUT_MS / 1000,
  });
}

/** jose, knowing only the JWKS URL (from the metadata) and the issuer. No audience: none is issued. */
async function verified(config, accessToken) {
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload } = await jwtVerify(accessToken, jwks, { issuer: gatehouse.issuer });
  assert.equal(payload.aud, undefined);
  return payload;
}

test("openid-client's default (OpenID Connect) discovery finds no provider: Gatehouse is not one", async () => {
  const asked = [];
  const recording = (url, options) => { asked.push(String(url)); return fetch(url, options); };
  await assert.rejects(
    client.discovery(new URL(gatehouse.issuer), STOREFRONT, undefined, client.None(), { [client.customFetch]: recording }),
    (error) => error.message === 'unexpected HTTP response status code' && error.cause?.status === 404,
  );
  assert.deepEqual(asked, [`${gatehouse.issuer}/.well-known/openid-configuration`]);
});

test('openid-client discovers Gatehouse by RFC 8414 metadata', async () => {
  const config = await discover(STOREFRONT, client.None());
  const metadata = config.serverMetadata();
  assert.equal(metadata.issuer, gatehouse.issuer);
  assert.equal(metadata.token_endpoint, `${gatehouse.issuer}/oauth/token`);
  assert.equal(metadata.supportsPKCE(), true);
});

test('openid-client gets an integration token by client credentials with client_secret_basic', async () => {
  const config = await discover(INTEGRATION, client.ClientSecretBasic(INTEGRATION_SECRET));
  const tokens = await client.clientCredentialsGrant(config);
  assert.equal(tokens.token_type, 'bearer');
  assert.equal(tokens.scope, 'market:all');
  // The wire value is exact; expiresIn() counts down from the moment the answer arrived, so it
  // may already read 86399 when a second boundary passes between the answer and the check.
  assert.equal(tokens.expires_in, 86400);
  assert.ok([86399, 86400].includes(tokens.expiresIn()), `expiresIn() was ${tokens.expiresIn()}`);
  const claims = await verified(config, tokens.access_token);
  assert.equal(claims.application.kind, 'integration');

  const wrong = await discover(INTEGRATION, client.ClientSecretBasic('not-the-secret'));
  // A 401 with a WWW-Authenticate challenge (RFC 6749 §5.2, client authenticated by Basic).
  await assert.rejects(
    client.clientCredentialsGrant(wrong),
    (error) => error instanceof client.WWWAuthenticateChallengeError && error.status === 401
      && error.cause[0].scheme === 'basic' && error.response.headers.get('content-type')?.startsWith('application/json'),
  );
});

test('openid-client gets a sales channel token as a public client, and calls the resource API with it', async () => {
  const config = await discover(STOREFRONT, client.None());
  const tokens = await client.clientCredentialsGrant(config, { scope: 'market:code:eu' });
  // The scope comes back as asked.
  assert.equal(tokens.scope, 'market:code:eu');
  const claims = await verified(config, tokens.access_token);
  assert.equal(claims.market.number, 1001);
  const markets = await client.fetchProtectedResource(config, tokens.access_token, new URL('/api/markets', gatehouse.issuer), 'GET');
  assert.equal(markets.status, 200);
  const body = await markets.json();
  assert.ok(Array.isArray(body.data), JSON.stringify(body));
});

test('openid-client signs a customer in by password (a generic grant), refreshes with rotation and revokes', async () => {
  const config = await discover(STOREFRONT, client.None());
  const tokens = await client.genericGrantRequest(config, 'password', {
    username: BOB.email, password: BOB.password, scope: 'market:1001',
  });
  assert.equal(tokens.owner_type, 'customer');
  assert.equal((await verified(config, tokens.access_token)).owner.id, 'cus_bob');
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal(refreshed.scope, 'market:1001');

  await client.tokenRevocation(config, refreshed.refresh_token);
  await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), (error) => error.error === 'invalid_grant');
});

test('openid-client runs the authorization code flow with PKCE, state and RFC 9207 iss, and refreshes', async () => {
  const config = await discover(WEBAPP, client.ClientSecretBasic(WEBAPP_SECRET));
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizeUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: WEBAPP_REDIRECT,
    scope: 'market:code:eu',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const callback = await signInAndAllow(authorizeUrl, ADMIN);
  assert.equal(callback.searchParams.get('iss'), gatehouse.issuer);

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  assert.equal(tokens.scope, 'market:code:eu');
  assert.equal(tokens.id_token, undefined);
  const claims = await verified(config, tokens.access_token);
  assert.deepEqual(claims.owner, { id: 'usr_admin', type: 'User' });

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.equal((await verified(config, refreshed.access_token)).owner.id, 'usr_admin');

  // A state that does not match is caught by the client before any exchange.
  await assert.rejects(
    client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: 'another-state' }),
    (error) => /"state"/.test(error.cause?.message),
  );
});

test('jose refuses a Gatehouse token when told to require an audience: the tokens carry none', async () => {
  const config = await discover(STOREFRONT, client.None());
  const tokens = await client.clientCredentialsGrant(config, { scope: 'market:1001' });
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  await assert.rejects(
    jwtVerify(tokens.access_token, jwks, { issuer: gatehouse.issuer, audience: 'https://api.example' }),
    (error) => error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && error.claim === 'aud',
  );
});
