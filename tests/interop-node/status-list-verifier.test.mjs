// The status list verifier of examples/ (Node built-ins only) against the gatehouse binary: it
// knows the JWKS and the issuer, never calls the token state endpoints, and refuses a revoked
// token once the list it holds has expired (its ttl) and the server's own lists are rebuilt.
//
// Run: `node --test` in this folder (scripts/test does). GATEHOUSE_BIN: the gatehouse binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { StatusListVerifier, TokenRefused } from '../../examples/verify-with-status-list.mjs';
import { BOB, STEP_TIMEOUT_MS, STOREFRONT, startGatehouseOverTls } from './support.mjs';

let gatehouse;

before(async () => { gatehouse = await startGatehouseOverTls(); });
after(async () => { await gatehouse?.stop(); });

async function post(path, form) {
  const response = await fetch(new URL(path, gatehouse.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  return [response.status, await response.json()];
}

function login() {
  return post('/oauth/token', {
    grant_type: 'password', client_id: STOREFRONT, username: BOB.email, password: BOB.password, scope: 'market:1001',
  });
}

test('a verifier holding only the JWKS and the status list refuses a revoked token once its list is fetched again', async () => {
  const jwks = await (await fetch(new URL('/.well-known/jwks.json', gatehouse.issuer))).json();
  let clock = Math.floor(Date.now() / 1000);
  const verifier = new StatusListVerifier({ issuer: gatehouse.issuer, jwks, now: () => clock });
  const [, revoked] = await login();
  const [, kept] = await login();
  const claims = await verifier.verify(revoked.access_token);
  assert.equal(claims.owner.id, 'cus_bob');
  assert.match(claims.status.status_list.uri, /\/oauth\/status_lists\/\d+$/);

  const [status] = await post('/oauth/revoke', { client_id: STOREFRONT, token: revoked.access_token });
  assert.equal(status, 200);
  // Within the list's ttl the verifier answers from the list it holds: the bound.
  await verifier.verify(revoked.access_token);
  // Past the ttl and the server's own 5 s, the list fetched again has the token's bit.
  await new Promise((resolve) => setTimeout(resolve, 5_100));
  clock += 61;
  await assert.rejects(verifier.verify(revoked.access_token), (error) => error instanceof TokenRefused && error.message === 'revoked');
  assert.equal((await verifier.verify(kept.access_token)).owner.id, 'cus_bob');

  // A token signed by no published key, or a list's signature tampered with, is refused.
  const forged = `${kept.access_token.slice(0, -8)}AAAAAAAA`;
  await assert.rejects(verifier.verify(forged), TokenRefused);
});
