// Commerce Layer's own API client, @commercelayer/sdk 7, against the gatehouse binary's resource
// API: lists with filters, sparse fieldsets, sort orders and pages, single records, the
// organization and application singletons, errors, and the SDK's token refresh on a 401.
//
// The SDK calls `https://{organization slug}.{domain}/api/...` and, given only a token, takes
// the slug from the token's `organization.slug` and the domain from its `iss` without
// `https://auth.`. Here that is acme.gatehouse.test behind the local TLS proxy (support.mjs).
// Every expected answer is worked out from the seed this file hands the server (seed.mjs).
//
// Run: `node --test` in this folder (scripts/test does). GATEHOUSE_BIN: the gatehouse binary.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { CommerceLayer } from '@commercelayer/sdk/bundle';
import { authenticate } from '@commercelayer/js-auth';
import { SignJWT, decodeJwt, decodeProtectedHeader, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';

import {
  INTEGRATION, INTEGRATION_SECRET, STOREFRONT, startGatehouseOverTls, writeTempFile, writeTempJson,
} from './support.mjs';
import { ATTRIBUTES, catalogSeed, expectedPage, visibleTo } from './seed.mjs';

const SEED = catalogSeed();
const ALL = visibleTo(SEED); // an integration token: market:all, test mode
const EU = visibleTo(SEED, { market: 1001 }); // a sales channel token scoped to market:1001

let gatehouse;
let signingKey; // the server's signing key (ES256), to make a token that has expired
let integrationToken;
let europeToken;

before(async () => {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  signingKey = await exportPKCS8(privateKey);
  gatehouse = await startGatehouseOverTls([
    '--seed', writeTempJson('seed.json', SEED),
    '--signing-keys', writeTempFile('signing-keys.pem', signingKey),
    // Some forty requests with one token here: keep the per-token limit out of the way.
    '--api-rate-limit', '300',
  ]);
  integrationToken = await token({ clientId: INTEGRATION, clientSecret: INTEGRATION_SECRET });
  europeToken = await token({ clientId: STOREFRONT, scope: 'market:1001' });
});
after(async () => { await gatehouse?.stop(); });

async function token(credentials) {
  const answer = await authenticate('client_credentials', { domain: gatehouse.domain, ...credentials });
  assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
  return answer.accessToken;
}

/** A client made the way Commerce Layer's README shows: the token alone. */
function sdk(accessToken, options = {}) {
  return CommerceLayer({ accessToken, ...options });
}

/**
 * `got` (SDK records) are `expected` (records of seed.mjs), in that order, each with the type
 * and every attribute of its type, or with exactly the attributes of `fields`.
 */
function assertRecords(got, expected, type, fields) {
  assert.deepEqual(Array.from(got, (r) => r.id), expected.map((r) => r.id));
  got.forEach((record, i) => {
    assert.equal(record.type, type);
    const attributes = Object.keys(record).filter((k) => k !== 'id' && k !== 'type');
    if (fields) assert.deepEqual(attributes.sort(), [...fields].sort(), `attributes of ${record.id}`);
    for (const name of fields ?? ATTRIBUTES[type]) {
      assert.deepEqual(record[name], expected[i][name], `${type} ${record.id}: ${name}`);
    }
  });
}

/** `client.<type>.list(params)` is the page of `view`'s list that seed.mjs works out. */
async function assertList(client, view, type, params = {}) {
  const want = expectedPage(view[type], params);
  const got = await client[type].list(params);
  const fields = Array.isArray(params.fields) ? params.fields : params.fields?.[type];
  assertRecords(got, want.records, type, fields);
  assert.equal(got.meta.recordCount, want.recordCount, 'meta.record_count');
  if (want.recordCount > 0) assert.equal(got.meta.pageCount, want.pageCount, 'meta.page_count');
  return got;
}

/** Rejects with the SDK's ApiError of `status` whose first error has `code`. */
async function assertApiError(client, promise, status, code) {
  await assert.rejects(promise, (error) => {
    assert.ok(client.isApiError(error), `an ApiError, not ${error?.name}: ${error?.message}`);
    assert.equal(error.status, status);
    assert.equal(error.errors?.[0]?.code, code, JSON.stringify(error.errors));
    return true;
  });
}

test('the SDK finds the API from the token alone: https://acme.<domain>/api, as iss and organization.slug say', async () => {
  const cl = sdk(integrationToken);
  const requested = [];
  cl.addRequestInterceptor((request) => { requested.push(request.url.href); return request; });
  await cl.skus.list({ pageSize: 1 });
  assert.equal(new URL(requested[0]).origin, `https://${SEED.organization.slug}.${gatehouse.domain}`);
  assert.equal(new URL(requested[0]).pathname, '/api/skus');
});

describe('filters, with an integration token (every test-mode record)', () => {
  const cases = [
    ['eq', 'skus', { filters: { code_eq: 'MUG-WHT' } }],
    ['not_eq', 'skus', { filters: { code_not_eq: 'MUG-WHT' }, pageSize: 25 }],
    ['eq on a number', 'markets', { filters: { number_eq: 1002 } }],
    ['not_eq on a number', 'stock_items', { filters: { stock_location_number_not_eq: 101 }, pageSize: 25 }],
    ['in', 'skus', { filters: { code_in: ['MUG-WHT', 'CAP-RED', 'NO-SUCH-SKU'] } }],
    ['not_in', 'prices', { filters: { price_list_id_not_in: ['pl_eur', 'pl_vip'] }, pageSize: 25 }],
    ['in on a number', 'stock_items', { filters: { stock_location_number_in: [101, 103] }, pageSize: 25 }],
    ['start', 'skus', { filters: { code_start: 'HOODIE-' } }],
    ['end', 'skus', { filters: { name_end: 'mug' } }],
    ['cont counts case', 'skus', { filters: { name_cont: 'hoodie' } }],
    ['i_cont ignores case', 'skus', { filters: { name_i_cont: 'hoodie' } }],
    ['lt', 'prices', { filters: { amount_cents_lt: 1200 }, pageSize: 25 }],
    ['lteq', 'prices', { filters: { amount_cents_lteq: 1200 }, pageSize: 25 }],
    ['gt', 'prices', { filters: { amount_cents_gt: 2500 } }],
    ['gteq', 'prices', { filters: { amount_cents_gteq: 2500 } }],
    ['lt on text, by its bytes', 'skus', { filters: { code_lt: 'MUG-WHT' }, pageSize: 25 }],
    ['gt and lteq together on quantities', 'stock_items', { filters: { quantity_gt: 0, quantity_lteq: 12 }, pageSize: 25 }],
    ['null', 'skus', { filters: { name_null: true } }],
    ['not_null', 'skus', { filters: { name_not_null: true }, pageSize: 25 }],
    ['present', 'skus', { filters: { name_present: true }, pageSize: 25 }],
    ['present=false', 'skus', { filters: { name_present: false } }],
    ['blank', 'skus', { filters: { name_blank: true } }],
    ['true', 'markets', { filters: { active_true: true } }],
    ['false', 'markets', { filters: { active_false: true } }],
    ['true=false', 'markets', { filters: { active_true: false } }],
    ['_or_ between attributes', 'skus', { filters: { name_or_code_cont: 'HOODIE' } }],
    ['_or_ with another filter', 'skus', { filters: { name_or_code_i_cont: 'mug', code_not_eq: 'MUG-WHT' } }],
  ];
  for (const [name, type, params] of cases) {
    test(`${name}: ${type} ${JSON.stringify(params.filters)}`, async () => {
      const got = await assertList(sdk(integrationToken), ALL, type, params);
      // A case that keeps every record or none tells nothing about the filter, except where
      // that is the point (nothing is null here: every attribute has a value).
      if (!['null', 'not_null'].includes(name)) {
        assert.ok(got.meta.recordCount > 0 && got.meta.recordCount < ALL[type].length, `${name} keeps some of ${type}, not all or none`);
      }
    });
  }
});

describe('sparse fieldsets, sort orders and pages', () => {
  test('fields: the array form names the listed type', async () => {
    await assertList(sdk(integrationToken), ALL, 'skus', { fields: ['code'], pageSize: 25 });
  });
  test('fields: the object form, with a filter', async () => {
    await assertList(sdk(integrationToken), ALL, 'prices', { fields: { prices: ['amount_cents', 'sku_code'] }, filters: { price_list_id_eq: 'pl_usd' } });
  });
  test('sort ascending', async () => {
    await assertList(sdk(integrationToken), ALL, 'prices', { sort: { amount_cents: 'asc' }, pageSize: 25 });
  });
  test('sort descending', async () => {
    await assertList(sdk(integrationToken), ALL, 'skus', { sort: { name: 'desc' }, pageSize: 25 });
  });
  test('sort on two keys, the first deciding', async () => {
    await assertList(sdk(integrationToken), ALL, 'stock_items', { sort: { sku_code: 'asc', quantity: 'desc' }, pageSize: 25 });
  });
  test('sort, fields and a filter together', async () => {
    await assertList(sdk(integrationToken), ALL, 'markets', { sort: { code: 'desc' }, fields: ['code', 'active'], filters: { active_true: true } });
  });
  test('the default page is the first 10 records', async () => {
    const got = await assertList(sdk(integrationToken), ALL, 'skus');
    assert.ok(ALL.skus.length > 10, 'the seed has more than one page of SKUs');
    assert.equal(got.length, 10);
    assert.ok(got.hasNextPage());
  });
  test('every page of pageSize 5, the last one short', async () => {
    const pageCount = Math.ceil(ALL.skus.length / 5);
    assert.ok(ALL.skus.length % 5 !== 0, 'the seed makes the last page short');
    const seen = [];
    for (let pageNumber = 1; pageNumber <= pageCount; pageNumber += 1) {
      const got = await assertList(sdk(integrationToken), ALL, 'skus', { pageSize: 5, pageNumber });
      assert.equal(got.hasNextPage(), pageNumber < pageCount);
      assert.equal(got.hasPrevPage(), pageNumber > 1);
      seen.push(...got.map((r) => r.id));
    }
    assert.deepEqual(seen, ALL.skus.map((s) => s.id));
  });
  test('pages of a sorted, filtered list', async () => {
    await assertList(sdk(integrationToken), ALL, 'prices', { filters: { price_list_id_eq: 'pl_eur' }, sort: { amount_cents: 'desc' }, pageSize: 4, pageNumber: 2 });
  });
  test('the largest page, 25', async () => {
    await assertList(sdk(integrationToken), ALL, 'stock_items', { pageSize: 25, pageNumber: 1 });
  });
});

describe('single records and errors', () => {
  test('retrieve a SKU and a market by id', async () => {
    const cl = sdk(integrationToken);
    for (const [type, record] of [['skus', ALL.skus.find((s) => s.code === 'MUG-WHT')], ['markets', ALL.markets.find((m) => m.number === 1001)]]) {
      assertRecords([await cl[type].retrieve(record.id)], [record], type);
    }
  });
  test('retrieve with fields', async () => {
    const record = ALL.skus.find((s) => s.code === 'HOODIE-GRY-L');
    assertRecords([await sdk(integrationToken).skus.retrieve(record.id, { fields: ['name'] })], [record], 'skus', ['name']);
  });
  test('an unknown id is an ApiError with status 404', async () => {
    const cl = sdk(integrationToken);
    assert.ok(!SEED.skus.some((s) => s.id === 'sku_no_such'));
    await assertApiError(cl, cl.skus.retrieve('sku_no_such'), 404, 'NOT_FOUND');
  });
  test('a live record is not found with a test token', async () => {
    const cl = sdk(integrationToken);
    const live = SEED.skus.find((s) => s.mode === 'live');
    await assertApiError(cl, cl.skus.retrieve(live.id), 404, 'NOT_FOUND');
  });
  test('a token that is not one of the server is an ApiError with status 401 and INVALID_TOKEN', async () => {
    const [header, payload] = integrationToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(86)}`;
    let refreshed = 0;
    // Not expired, so the SDK does not try to refresh it: it fails as it is.
    const cl = sdk(forged, { refreshToken: async () => { refreshed += 1; return integrationToken; } });
    await assertApiError(cl, cl.skus.list(), 401, 'INVALID_TOKEN');
    assert.equal(refreshed, 0);
  });
});

describe('the organization and the application', () => {
  test('organization.retrieve(): the seed organization; its name is its slug, its domain the API host', async () => {
    const got = await sdk(integrationToken).organization.retrieve();
    const { id, slug } = SEED.organization;
    assert.equal(got.type, 'organizations');
    assert.equal(got.id, id);
    assert.equal(got.slug, slug);
    assert.equal(got.name, slug);
    assert.equal(got.domain, `${slug}.${gatehouse.domain}`);
  });
  for (const [clientId, which] of [[INTEGRATION, () => integrationToken], [STOREFRONT, () => europeToken]]) {
    test(`application.retrieve() with a token of ${clientId}: that application of the seed`, async () => {
      const app = SEED.applications.find((a) => a.client_id === clientId);
      const got = await sdk(which()).application.retrieve();
      assert.equal(got.type, 'applications');
      assert.equal(got.id, app.id);
      assert.equal(got.name, app.name);
      assert.equal(got.kind, app.kind);
      assert.equal(got.public_access, app.client_secret === null);
      assert.equal(got.redirect_uri, app.redirect_uris[0] ?? null);
    });
  }
});

describe('a market:1001 token sees what market 1001 sells', () => {
  for (const type of ['skus', 'prices', 'stock_items', 'markets']) {
    test(`${type}: a narrower list than the integration's`, async () => {
      await assertList(sdk(europeToken), EU, type, { pageSize: 25 });
      assert.ok(EU[type].length < ALL[type].length, `the seed gives market 1001 fewer ${type} than there are`);
    });
  }
  test('a filter narrows the scope further, and pages what is left', async () => {
    await assertList(sdk(europeToken), EU, 'skus', { filters: { code_start: 'PIN-' }, sort: { code: 'desc' }, pageSize: 3, pageNumber: 2 });
  });
  test('the same filter, the integration token: more records', async () => {
    const filters = { code_or_name_i_cont: 'hoodie' };
    const europe = await assertList(sdk(europeToken), EU, 'skus', { filters });
    const all = await assertList(sdk(integrationToken), ALL, 'skus', { filters });
    assert.ok(europe.meta.recordCount < all.meta.recordCount);
  });
  test('a SKU the market does not sell is not found', async () => {
    const cl = sdk(europeToken);
    const unsold = ALL.skus.find((s) => !EU.skus.some((e) => e.id === s.id));
    await assertApiError(cl, cl.skus.retrieve(unsold.id), 404, 'NOT_FOUND');
    const sold = EU.skus[0];
    assertRecords([await cl.skus.retrieve(sold.id)], [sold], 'skus');
  });
  test('another market is not found', async () => {
    const cl = sdk(europeToken);
    await assertApiError(cl, cl.markets.retrieve(ALL.markets.find((m) => m.number === 1002).id), 404, 'NOT_FOUND');
  });
});

test('refreshToken: on 401 INVALID_TOKEN with an expired token the SDK asks for a new one and retries', async () => {
  // The shortest token_lifetime a seed may give is 7200 s (shared/core/src/seed/validate.rs,
  // application_rules), too long to wait for. So the test makes the token that has expired:
  // the claims of a real integration token, issued and expired two hours earlier, signed with
  // the server's own key (--signing-keys above) under its kid. To the server it is a token it
  // issued that has expired; to the SDK, a token whose `exp` has passed.
  const claims = decodeJwt(integrationToken);
  const { kid, alg } = decodeProtectedHeader(integrationToken);
  const now = Math.floor(Date.now() / 1000);
  const expired = await new SignJWT({ ...claims, iat: now - 3 * 3600, exp: now - 3600 })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .sign(await importPKCS8(signingKey, alg));
  // The SDK reads `exp` with atob, which refuses base64url's `-` and `_` (and then never
  // refreshes): the claims copied from Gatehouse's token must not produce them.
  assert.doesNotThrow(() => atob(expired.split('.')[1]), 'the expired token payload decodes with atob');

  const asked = [];
  const cl = sdk(expired, {
    refreshToken: async (old) => {
      asked.push(old);
      return token({ clientId: INTEGRATION, clientSecret: INTEGRATION_SECRET });
    },
  });
  const got = await assertList(cl, ALL, 'skus', { filters: { code_eq: 'TSHIRT-BLK-M' } });
  assert.equal(got.length, 1);
  assert.deepEqual(asked, [expired], 'refreshToken ran once, with the expired token');
  assert.notEqual(cl.currentAccessToken, expired);
  assert.equal(decodeJwt(cl.currentAccessToken).application.id, claims.application.id);
  // The client keeps the new token: the next request needs no refresh.
  await assertList(cl, ALL, 'markets');
  assert.equal(asked.length, 1);

  // Without refreshToken the same token is a 401 INVALID_TOKEN.
  const plain = sdk(expired);
  await assertApiError(plain, plain.skus.list(), 401, 'INVALID_TOKEN');
});

describe('include: related records come in `included` and the SDK nests them', () => {
  // JSON:API leaves the order of a to-many relationship's linkage to the server: compare by id.
  const byId = (records) => [...(records ?? [])].sort((a, b) => (a.id < b.id ? -1 : 1));

  test('a SKU with its prices and stock items (market:all)', async () => {
    const sku = ALL.skus.find((s) => s.code === 'TSHIRT-BLK-M');
    const [got] = await sdk(integrationToken).skus.list({ filters: { code_eq: sku.code }, include: ['prices', 'stock_items'] });
    assert.equal(got.id, sku.id);
    assertRecords(byId(got.prices), byId(ALL.prices.filter((p) => p.sku_code === sku.code)), 'prices');
    assertRecords(byId(got.stock_items), byId(ALL.stock_items.filter((i) => i.sku_code === sku.code)), 'stock_items');
  });

  test('included records obey the token\'s market', async () => {
    const got = await sdk(europeToken).skus.list({ include: ['prices', 'stock_items'], pageSize: 25 });
    assert.deepEqual(Array.from(got, (s) => s.id), EU.skus.map((s) => s.id));
    for (const sku of got) {
      assertRecords(byId(sku.prices), byId(EU.prices.filter((p) => p.sku_code === sku.code)), 'prices');
      assertRecords(byId(sku.stock_items), byId(EU.stock_items.filter((i) => i.sku_code === sku.code)), 'stock_items');
    }
  });

  test('a price with its SKU, when the token can see the SKU', async () => {
    const got = await sdk(europeToken).prices.list({ include: ['sku'], pageSize: 25 });
    assert.deepEqual(Array.from(got, (p) => p.id), EU.prices.map((p) => p.id));
    for (const price of got) {
      const sku = EU.skus.find((s) => s.code === price.sku_code);
      if (sku) assertRecords([price.sku], [sku], 'skus');
      else assert.equal(price.sku ?? null, null, `${price.id}: its SKU is not sold in the market`);
    }
  });

  test('a market with its price list and stock locations, with a fieldset', async () => {
    const market = ALL.markets.find((m) => m.number === 1001);
    const got = await sdk(integrationToken).markets.retrieve(market.id, {
      include: ['price_list', 'stock_locations'], fields: { stock_locations: ['name', 'number'] },
    });
    const list = SEED.price_lists.find((l) => l.id === market.price_list_id);
    assert.equal(got.price_list.id, list.id);
    assert.equal(got.price_list.name, list.name);
    assert.equal(got.price_list.currency_code, list.currency);
    const locations = SEED.stock_locations.filter((l) => market.stock_location_ids.includes(l.id));
    assert.deepEqual(
      byId(got.stock_locations).map((l) => ({ id: l.id, name: l.name, number: l.number, code: l.code })),
      byId(locations).map((l) => ({ id: l.id, name: l.name, number: l.number, code: undefined })),
    );
  });
});
