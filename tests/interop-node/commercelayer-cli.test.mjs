// Commerce Layer's CLI, @commercelayer/cli 6 with its resources plugin, against the gatehouse
// binary: `applications:login` (a token from https://auth.<domain>/oauth/token, then
// GET /api/organization and /api/application), `resources:list` and `applications:logout`.
//
// The CLI runs as a process of its own, with its home in a temporary folder, trusting the test's
// certificate authority and resolving only auth.gatehouse.test and acme.gatehouse.test (to the
// test's TLS proxy): see clientProcessEnvironment in support.mjs. Its resources commands come
// from @commercelayer/cli-plugin-resources, a dependency of this folder (so the lockfile pins
// it and `npm ci` installs it), which `commercelayer plugins:link --no-install` registers in
// the CLI's data folder without asking npm for anything.
//
// Every expected answer is worked out from the seed file this file hands the server.
//
// Run: `node --test` in this folder (scripts/test does). GATEHOUSE_BIN: the gatehouse binary.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  INTEGRATION, INTEGRATION_SECRET, STOREFRONT, clientProcessEnvironment, makeTempDir, startGatehouseOverTls,
  writeTempJson,
} from './support.mjs';
import { catalogSeed, expectedPage, visibleTo } from './seed.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLI = path.join(HERE, 'node_modules', '@commercelayer', 'cli', 'bin', 'run.js');
const RESOURCES_PLUGIN = path.join(HERE, 'node_modules', '@commercelayer', 'cli-plugin-resources');
const COMMAND_TIMEOUT_MS = 90_000; // a cold start of the CLI on a busy machine takes seconds

const SEED = catalogSeed();
const SLUG = SEED.organization.slug;
const ALL = visibleTo(SEED);
const EU = visibleTo(SEED, { market: 1001 });

let gatehouse;
let home;
let environment;

before(async () => {
  gatehouse = await startGatehouseOverTls(['--seed', writeTempJson('seed.json', SEED)]);
  home = makeTempDir('commercelayer-cli-home-');
  environment = clientProcessEnvironment(home);
  await commercelayer(['plugins:link', '--no-install', RESOURCES_PLUGIN]);
});
after(async () => { await gatehouse?.stop(); });

/** `commercelayer <args>`: its stdout and stderr, or a failure with both. */
function commercelayer(args, { ok = true } = {}) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { env: environment, cwd: home, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const shown = `commercelayer ${args.join(' ')}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
        if (error?.killed) reject(new Error(`timed out after ${COMMAND_TIMEOUT_MS} ms: ${shown}`));
        else if (ok && error) reject(new Error(`exit ${error.code}: ${shown}`));
        else if (!ok && !error) reject(new Error(`succeeded but should have failed: ${shown}`));
        else resolve({ stdout, stderr, shown });
      });
  });
}

const applicationsDir = () => path.join(home, 'config', '@commercelayer', 'cli', 'applications');
/** The CLI's stored applications (`<key>.config.json`), by alias. */
function storedApplications() {
  const dir = applicationsDir();
  if (!existsSync(dir)) return {};
  const configs = readdirSync(dir).filter((f) => f.endsWith('.config.json'))
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
  return Object.fromEntries(configs.map((c) => [c.alias, c]));
}

/** The records `resources:list ... -j -u` printed (one line of JSON), and its summary line. */
function listed({ stdout, shown }) {
  const line = stdout.split('\n').find((l) => l.startsWith('['));
  assert.ok(line, `a JSON array in the output of ${shown}`);
  const summary = stdout.match(/Records: (\d+) of (\d+) \| Page: (\d+) of (\d+)/);
  assert.ok(summary, `a Records/Page summary in ${shown}`);
  return { records: JSON.parse(line), summary: summary.slice(1).map(Number) };
}

function assertSkus(records, expected) {
  assert.deepEqual(records.map((r) => r.id), expected.map((s) => s.id));
  records.forEach((record, i) => {
    assert.equal(record.type, 'skus');
    assert.equal(record.code, expected[i].code);
    assert.equal(record.name, expected[i].name);
  });
}

test('applications:login with the integration: the CLI stores what the token, /api/organization and /api/application said', async () => {
  await commercelayer(['applications:login', '-o', SLUG, '-d', gatehouse.domain,
    '-i', INTEGRATION, '-s', INTEGRATION_SECRET, '-a', 'gatehouse']);
  const app = SEED.applications.find((a) => a.client_id === INTEGRATION);
  const stored = storedApplications().gatehouse;
  assert.ok(stored, `the CLI stored the application: ${JSON.stringify(storedApplications())}`);
  assert.equal(stored.slug, SLUG); // from /api/organization's slug
  assert.equal(stored.organization, SLUG); // its name, which is the slug
  assert.equal(stored.domain, gatehouse.domain);
  assert.equal(stored.name, app.name); // from /api/application
  assert.equal(stored.kind, app.kind); // from the token's application.kind
  assert.equal(stored.id, app.id); // from the token's application.id
  assert.equal(stored.mode, app.mode); // from the token's test claim
  assert.equal(stored.baseUrl, `https://${SLUG}.${gatehouse.domain}`);
});

test('resources:list skus -w code_eq=...: the one SKU of the seed with that code', async () => {
  const sku = ALL.skus.find((s) => s.code === 'MUG-WHT');
  const { records, summary } = listed(await commercelayer(['resources:list', 'skus', '-w', `code_eq=${sku.code}`, '-j', '-u']));
  assertSkus(records, [sku]);
  assert.deepEqual(summary, [1, 1, 1, 1]);
});

test('resources:list with a filter, a sort order and a page', async () => {
  const params = { filters: { name_i_cont: 'pin' }, sort: { code: 'desc' }, pageSize: 3, pageNumber: 2 };
  const want = expectedPage(ALL.skus, params);
  const { records, summary } = listed(await commercelayer(['resources:list', 'skus',
    '-w', 'name_i_cont=pin', '-s', 'code,desc', '-n', '3', '-p', '2', '-j', '-u']));
  assertSkus(records, want.records);
  assert.deepEqual(summary, [want.records.length, want.recordCount, 2, want.pageCount]);
});

test('applications:logout -F: the CLI forgets the application', async () => {
  await commercelayer(['applications:logout', '-F']);
  assert.equal(storedApplications().gatehouse, undefined);
  // With no application to take a token from, resources commands have none.
  await commercelayer(['resources:list', 'skus', '-j', '-u'], { ok: false });
});

test('a sales channel scoped to market:1001: login, a list narrowed to what the market sells, logout', async () => {
  await commercelayer(['applications:login', '-o', SLUG, '-d', gatehouse.domain, '-i', STOREFRONT, '-S', 'market:1001', '-a', 'storefront']);
  const stored = storedApplications().storefront;
  assert.equal(stored.kind, SEED.applications.find((a) => a.client_id === STOREFRONT).kind);
  const want = expectedPage(EU.skus, { pageSize: 25 });
  const { records, summary } = listed(await commercelayer(['resources:list', 'skus', '-n', '25', '-j', '-u']));
  assertSkus(records, want.records);
  assert.deepEqual(summary, [want.recordCount, want.recordCount, 1, 1]);
  assert.ok(want.recordCount < ALL.skus.length);
  await commercelayer(['applications:logout', '-F']);
  assert.equal(storedApplications().storefront, undefined);
});

test('a scope of two -S flags, which the CLI joins with a comma: the list is narrowed to the stock location', async () => {
  const narrowed = visibleTo(SEED, { market: 1001, locations: [102] });
  assert.ok(narrowed.skus.length < EU.skus.length);
  await commercelayer(['applications:login', '-o', SLUG, '-d', gatehouse.domain, '-i', STOREFRONT, '-S', 'market:1001', '-S', 'stock_location:102', '-a', 'berlin']);
  const want = expectedPage(narrowed.skus, { pageSize: 25 });
  const { records, summary } = listed(await commercelayer(['resources:list', 'skus', '-n', '25', '-j', '-u']));
  assertSkus(records, want.records);
  assert.deepEqual(summary, [want.recordCount, want.recordCount, 1, 1]);
  await commercelayer(['applications:logout', '-F']);
  assert.equal(storedApplications().berlin, undefined);
});

test('applications:logout --revoke: the CLI revokes its token at {iss}/oauth/revoke, then forgets the application', async (t) => {
  await commercelayer(['applications:login', '-o', SLUG, '-d', gatehouse.domain, '-i', INTEGRATION, '-s', INTEGRATION_SECRET, '-a', 'revoking']);
  // Whatever happens, leave no application behind for a later test.
  t.after(() => (storedApplications().revoking ? commercelayer(['applications:logout', '-F']) : undefined));
  assert.ok(storedApplications().revoking);
  // js-auth 6 (through cli-core) posts JSON: the CLI's whole stored application, snake_cased,
  // plus `token` (the access token). Among its members `scope` is an array (["market:all"]),
  // which the revocation endpoint does not read and so ignores; the others are strings (slug,
  // domain, kind, base_url, ...). The answer must be JSON without `errors`, or the CLI stops
  // with errors[0].detail.
  await commercelayer(['applications:logout', '-F', '-r']);
  assert.equal(storedApplications().revoking, undefined);
});
