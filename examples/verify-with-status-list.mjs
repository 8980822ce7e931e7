// A verifier of Gatehouse access tokens that never calls Gatehouse's token state endpoints:
// it knows the JWKS and fetches the status list each token names (docs/api.md, "The status
// list"). Node 20's built-ins only (WebCrypto, zlib, fetch): copy it, or read it as the
// reference for a verifier in another language.
//
//   import { StatusListVerifier } from './verify-with-status-list.mjs';
//   const verifier = new StatusListVerifier({ issuer: 'https://auth.example.com', jwks });
//   const claims = await verifier.verify(accessToken); // throws when invalid or revoked
//
// Checks, in order: the header's alg is its key's (ES256 for a P-256 key, RS512 for RSA), the
// signature, `iss`, `exp` and `iat` (60 s of leeway); then the token's list (fetched by its
// `status.status_list.uri`, kept for the list's `ttl`), itself a signed JWT with
// `typ: statuslist+jwt`, unexpired and naming itself (`sub`) as the token's uri; then the
// token's bit, and the epochs published beside the bits. A revocation is seen at most the
// list's ttl (60 s) plus the server's own 5 s after it was made.

import { inflateSync } from 'node:zlib';

const LEEWAY_SECONDS = 60;
const LIST_TYP = 'statuslist+jwt';
/** A verifier's bound on a list's inflated size (a billion tokens): no zlib bomb passes. */
const MAX_LIST_BYTES = 125_000_000;

const base64url = (text) => Buffer.from(text, 'base64url');
const json = (text) => JSON.parse(base64url(text).toString('utf8'));

export class TokenRefused extends Error {}

export class StatusListVerifier {
  /**
   * @param {{issuer: string, jwks: {keys: object[]}, fetch?: typeof fetch, now?: () => number}} options
   * `now` returns Unix seconds (the clock is yours to inject).
   */
  constructor({ issuer, jwks, fetch: fetcher = fetch, now = () => Math.floor(Date.now() / 1000) }) {
    this.issuer = issuer;
    this.jwks = jwks;
    this.fetch = fetcher;
    this.now = now;
    this.lists = new Map(); // uri -> { claims, until }
  }

  /** The claims of `token` when it is valid and not revoked; else throws TokenRefused. */
  async verify(token) {
    const claims = await this.#verified(token, 'JWT');
    const now = this.now();
    if (claims.iss !== this.issuer) throw new TokenRefused('another issuer');
    if (now >= claims.exp + LEEWAY_SECONDS) throw new TokenRefused('expired');
    if (claims.iat > now + LEEWAY_SECONDS) throw new TokenRefused('not valid yet');
    const status = claims.status?.status_list;
    if (!status) throw new TokenRefused('no status claim');
    const list = await this.#list(status.uri);
    if (revoked(claims, status.idx, list)) throw new TokenRefused('revoked');
    return claims;
  }

  /** The list at `uri`, fetched again once its ttl has passed. */
  async #list(uri) {
    const kept = this.lists.get(uri);
    if (kept && this.now() < kept.until) return kept.claims;
    if (!uri.startsWith(`${this.issuer}/`)) throw new TokenRefused('a list of another server');
    const response = await this.fetch(uri);
    if (!response.ok) throw new TokenRefused(`the status list answered ${response.status}`);
    const claims = await this.#verified(await response.text(), LIST_TYP);
    if (claims.sub !== uri) throw new TokenRefused('the list is not the one the token names');
    if (this.now() >= claims.exp) throw new TokenRefused('the list has expired');
    this.lists.set(uri, { claims, until: this.now() + claims.ttl });
    return claims;
  }

  /** The claims of a JWS signed by a JWKS key, its header's `typ` being `typ`. */
  async #verified(token, typ) {
    const [header64, payload64, signature64, extra] = String(token).split('.');
    if (!signature64 || extra !== undefined) throw new TokenRefused('not a compact JWS');
    const header = json(header64);
    if ((header.typ ?? 'JWT') !== typ) throw new TokenRefused(`typ is not ${typ}`);
    const jwk = this.jwks.keys.find((key) => key.kid === header.kid);
    if (!jwk) throw new TokenRefused('unknown kid');
    // The algorithm is the key's, never the header's choice.
    const [importAlgorithm, verifyAlgorithm, alg] = jwk.kty === 'EC'
      ? [{ name: 'ECDSA', namedCurve: 'P-256' }, { name: 'ECDSA', hash: 'SHA-256' }, 'ES256']
      : [{ name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' }, { name: 'RSASSA-PKCS1-v1_5' }, 'RS512'];
    if (header.alg !== alg) throw new TokenRefused(`alg is not ${alg}`);
    const key = await crypto.subtle.importKey('jwk', jwk, importAlgorithm, false, ['verify']);
    const signed = new TextEncoder().encode(`${header64}.${payload64}`);
    if (!(await crypto.subtle.verify(verifyAlgorithm, key, base64url(signature64), signed))) {
      throw new TokenRefused('bad signature');
    }
    return json(payload64);
  }
}

/** The token's bit, or an epoch published for one of its subjects after it began. */
export function revoked(claims, index, list) {
  const bits = inflateSync(base64url(list.status_list.lst), { maxOutputLength: MAX_LIST_BYTES });
  if (index >= bits.length * 8) throw new TokenRefused('index past the end of the list');
  if ((bits[index >> 3] >> (index & 7)) & 1) return true;
  const mode = claims.test ? 'test' : 'live';
  const subjects = [`application#${claims.application.id}`];
  if (claims.owner) subjects.push(`owner#${mode}#${claims.owner.type}#${claims.owner.id}`);
  if (claims.market) subjects.push(`market#${mode}#${claims.market.id}`);
  const since = Math.min(claims.auth_time ?? claims.iat, claims.iat);
  return list.revocation_epochs.some((epoch) => subjects.includes(epoch.subject) && since < epoch.before);
}
