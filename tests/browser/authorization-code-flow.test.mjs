// The authorization code flow with PKCE in a real headless browser: Debian's Chromium, driven by
// playwright-core (which never downloads a browser), against the `gatehouse serve` binary. The
// tokens are checked with jose, a JWT library independent of the server's.
//
// Run: `node --test` in this folder (scripts/test does). Environment:
//   GATEHOUSE_BIN          the gatehouse binary (default: ../../target/debug/gatehouse from here)
//   CHROMIUM_BIN           the browser (default: /usr/bin/chromium); missing, the tests FAIL
//   GATEHOUSE_SCREENSHOT   set (non-empty): save the sign-in page to docs/sign-in.png

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const GATEHOUSE_BIN = path.resolve(process.env.GATEHOUSE_BIN || path.join(REPO, 'target', 'debug', 'gatehouse'));
const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const SCREENSHOT = process.env.GATEHOUSE_SCREENSHOT ? path.join(REPO, 'docs', 'sign-in.png') : null;

const CLIENT_ID = 'demo-webapp';
const CLIENT_SECRET = 'demo-webapp-secret-change-me-0123456789abcdef';
const APP_NAME = 'Demo back office';
const EMAIL = 'admin@example.com';
const PASSWORD = 'admin-demo-password';
const SCOPE = 'market:1001';

const TEST_TIMEOUT_MS = 60_000;
const HOOK_TIMEOUT_MS = 45_000;
const STEP_TIMEOUT_MS = 15_000;

// Chromium runs as root in CI: no sandbox. Nothing may reach past this machine.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

let workDir;
let callback; // { origin, uri, next(), close() }
let gatehouse; // { issuer, stop() }
let browser;

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(500);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

/** The client's side: records each GET /callback (its query and headers) and answers a page. */
async function startCallbackServer() {
  const received = [];
  const waiting = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const hit = { method: request.method, query: url.searchParams, headers: request.headers };
    const waiter = waiting.shift();
    if (waiter) waiter(hit); else received.push(hit);
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Callback received</title></head>'
        + '<body><p>The demo client received the answer.</p></body></html>');
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    origin,
    uri: `${origin}/callback`,
    /** The next callback request (one already received first). */
    next: (ms = STEP_TIMEOUT_MS) =>
      withTimeout(
        received.length ? Promise.resolve(received.shift()) : new Promise((resolve) => waiting.push(resolve)),
        ms,
        'a request to the callback',
      ),
    pending: () => received.length,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** The demo seed with demo-webapp's redirect URI pointed at the callback server. */
function writeSeed(dir, redirectUri) {
  const seed = JSON.parse(readFileSync(path.join(REPO, 'demo', 'seed.json'), 'utf8'));
  const app = seed.applications.find((a) => a.client_id === CLIENT_ID);
  assert.ok(app, `the demo seed has no application ${CLIENT_ID}`);
  app.redirect_uris = [redirectUri];
  const file = path.join(dir, 'seed.json');
  writeFileSync(file, JSON.stringify(seed, null, 2));
  return file;
}

/** `gatehouse serve` on a free port, its working folder `dir` (where the dev key is made). */
async function startGatehouse(dir, seedFile) {
  try {
    accessSync(GATEHOUSE_BIN, constants.X_OK);
  } catch {
    throw new Error(`no gatehouse binary at ${GATEHOUSE_BIN}: build it (cargo build -p gatehouse-cli --bin gatehouse) or set GATEHOUSE_BIN`);
  }
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const child = spawn(
    GATEHOUSE_BIN,
    ['serve', '--host', '127.0.0.1', '--port', String(port), '--issuer', issuer, '--seed', seedFile],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => { exited = { code, signal }; resolve(); }));
  child.once('error', (error) => { output += `\n${error}`; });

  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    await withTimeout(exit, 5_000, 'gatehouse to stop').catch(() => { child.kill('SIGKILL'); return exit; });
  };
  process.once('exit', () => { if (!exited) child.kill('SIGKILL'); });

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`gatehouse serve exited (${JSON.stringify(exited)}):\n${output}`);
    if (await canConnect(port)) return { issuer, stop, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`gatehouse serve did not listen on ${issuer} within 20 s:\n${output}`);
}

function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

function authorizeUrl({ challenge, state }) {
  const url = new URL('/oauth/authorize', gatehouse.issuer);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT_ID,
    redirect_uri: callback.uri,
    scope: SCOPE,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

async function postToken(fields) {
  const basic = Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64');
  const response = await fetch(new URL('/oauth/token', gatehouse.issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    body: new URLSearchParams(fields),
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  const text = await response.text();
  let body;
  try { body = JSON.parse(text); } catch { body = { unparsed: text }; }
  return { status: response.status, headers: response.headers, body };
}

async function verifyAccessToken(token) {
  const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', gatehouse.issuer), { timeoutDuration: STEP_TIMEOUT_MS });
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: gatehouse.issuer,
    algorithms: ['ES256'],
  });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.iss, gatehouse.issuer);
  assert.equal(payload.owner?.type, 'User');
  assert.equal(payload.owner?.id, 'usr_admin');
  assert.equal(payload.application?.client_id, CLIENT_ID);
  assert.equal(payload.scope, SCOPE);
  return payload;
}

/**
 * A fresh browser context and page, with the machine-only rule checked: every request the page
 * makes goes to 127.0.0.1, and the page logs no error (a Content-Security-Policy violation, say).
 */
async function openPage(t) {
  const context = await browser.newContext({ viewport: { width: 900, height: 760 }, deviceScaleFactor: 1 });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const elsewhere = [];
  const consoleErrors = [];
  context.on('request', (request) => {
    const { hostname } = new URL(request.url());
    if (hostname !== '127.0.0.1') elsewhere.push(request.url());
  });
  const page = await context.newPage();
  // An HTTP error status is logged as "Failed to load resource": the tests check statuses
  // themselves (a wrong password is a 401 page, an absent favicon a 404), so those are left out.
  page.on('console', (message) => {
    if (message.type() !== 'error' || message.text().startsWith('Failed to load resource: the server responded with a status of')) return;
    consoleErrors.push(`${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));
  t.after(() => context.close());
  return {
    page,
    checkClean() {
      assert.deepEqual(elsewhere, [], 'the browser asked for something off this machine');
      assert.deepEqual(consoleErrors, [], 'the page logged errors');
    },
  };
}

/** Opens the sign-in page and checks what every sign-in page must show and carry. */
async function openSignIn(page, request) {
  const response = await page.goto(authorizeUrl(request), { waitUntil: 'load' });
  assert.ok(response, 'no response for the authorize URL');
  assert.equal(response.status(), 200);
  const headers = response.headers();
  assert.match(headers['content-type'] ?? '', /^text\/html/);
  const csp = headers['content-security-policy'];
  assert.ok(csp, 'the page has no Content-Security-Policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.ok(csp.includes(`form-action 'self' ${callback.origin}`), `form-action does not allow the callback: ${csp}`);
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['cache-control'], 'no-store');

  assert.equal(await page.title(), `Sign in to continue to ${APP_NAME}`);
  assert.equal((await page.locator('h1').textContent()).trim(), `Sign in to continue to ${APP_NAME}`);
  assert.ok((await page.locator('main p').first().textContent()).includes(APP_NAME));
  assert.equal((await page.locator('.badge').textContent()).trim(), 'Test mode');
  assert.match(await page.locator('footer').textContent(), new RegExp(`sent back to ${callback.origin.replace(/\./g, '\\.')}\\.`));
  // The inline stylesheet is allowed by its hash: it applies (the primary button is blue).
  const background = await page.getByRole('button', { name: 'Sign in and allow' }).evaluate((b) => getComputedStyle(b).backgroundColor);
  assert.equal(background, 'rgb(47, 91, 234)', 'the stylesheet did not apply (blocked by the CSP?)');
  return response;
}

before(async () => {
  try {
    accessSync(CHROMIUM_BIN, constants.X_OK);
  } catch {
    throw new Error(`no Chromium at ${CHROMIUM_BIN}: install Debian's chromium package (apt-get install chromium) or set CHROMIUM_BIN`);
  }
  workDir = mkdtempSync(path.join(tmpdir(), 'gatehouse-browser-'));
  callback = await startCallbackServer();
  gatehouse = await startGatehouse(workDir, writeSeed(workDir, callback.uri));
  browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 30_000,
  });
}, { timeout: HOOK_TIMEOUT_MS });

after(async () => {
  const steps = [
    () => browser?.close(),
    () => gatehouse?.stop(),
    () => callback?.close(),
  ];
  for (const step of steps) {
    await withTimeout(Promise.resolve().then(step), 10_000, 'cleaning up').catch((error) => console.error(error));
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
}, { timeout: HOOK_TIMEOUT_MS });

test('A user signs in through the browser and the client gets a code that PKCE turns into verifiable tokens, once', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { page, checkClean } = await openPage(t);
  const { verifier, challenge } = pkce();
  assert.ok(verifier.length >= 43);
  const state = randomBytes(16).toString('base64url');

  await openSignIn(page, { challenge, state });
  const email = page.getByLabel('Email');
  const password = page.getByLabel('Password');
  assert.equal(await email.evaluate((input) => document.activeElement === input), true, 'the email field has the focus');
  await email.fill(EMAIL);
  if (SCREENSHOT) {
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
  }
  await password.fill(PASSWORD);

  const landed = page.waitForURL((url) => url.href.startsWith(`${callback.uri}?`), { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Sign in and allow' }).click();
  await landed;
  const hit = await callback.next();
  assert.equal(hit.method, 'GET', 'the 303 turns the POST into a GET');
  assert.equal(hit.headers.referer, undefined, 'the callback got a Referer (no-referrer is the policy)');
  assert.equal(await page.title(), 'Callback received');
  assert.equal(new URL(page.url()).searchParams.get('code'), hit.query.get('code'));

  const code = hit.query.get('code');
  assert.ok(code && code.length >= 20, `no code in the callback: ${hit.query}`);
  assert.equal(hit.query.get('state'), state);
  assert.equal(hit.query.get('iss'), gatehouse.issuer);
  assert.equal(hit.query.get('error'), null);

  const exchange = { grant_type: 'authorization_code', code, redirect_uri: callback.uri, code_verifier: verifier };

  const first = await postToken(exchange);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.headers.get('cache-control'), 'no-store');
  assert.equal(first.body.token_type?.toLowerCase(), 'bearer');
  assert.equal(first.body.owner_id, 'usr_admin');
  assert.equal(first.body.owner_type, 'user');
  assert.equal(first.body.scope, SCOPE);
  assert.ok(first.body.refresh_token, 'no refresh token for a webapp');
  const claims = await verifyAccessToken(first.body.access_token);
  assert.equal(claims.exp - claims.iat, first.body.expires_in);

  // The refresh token works: a new pair, which verifies too.
  const refreshed = await postToken({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
  assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
  assert.notEqual(refreshed.body.access_token, first.body.access_token);
  assert.ok(refreshed.body.refresh_token);
  assert.notEqual(refreshed.body.refresh_token, first.body.refresh_token);
  await verifyAccessToken(refreshed.body.access_token);

  // The code a second time: refused, and what it gave is revoked (RFC 6749 §4.1.2), the first
  // refresh token and the one that replaced it alike.
  const again = await postToken(exchange);
  assert.equal(again.status, 400, JSON.stringify(again.body));
  assert.equal(again.body.error, 'invalid_grant');
  const latest = await postToken({ grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token });
  assert.equal(latest.status, 400, JSON.stringify(latest.body));
  assert.equal(latest.body.error, 'invalid_grant');
  const original = await postToken({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token });
  assert.equal(original.status, 400, JSON.stringify(original.body));
  assert.equal(original.body.error, 'invalid_grant');

  checkClean();
});

test('A wrong password shows the error on the sign-in page and sends nothing to the client', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { page, checkClean } = await openPage(t);
  const { challenge } = pkce();
  await openSignIn(page, { challenge, state: randomBytes(16).toString('base64url') });

  await page.getByLabel('Email').fill(EMAIL);
  await page.getByLabel('Password').fill('not-the-password');
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/oauth/authorize');
  await page.getByRole('button', { name: 'Sign in and allow' }).click();
  const response = await answered;
  assert.equal(response.status(), 401);
  await page.getByRole('alert').waitFor();
  assert.equal((await page.getByRole('alert').textContent()).trim(), 'The email or password is not valid.');

  const url = new URL(page.url());
  assert.equal(url.origin, gatehouse.issuer);
  assert.equal(url.pathname, '/oauth/authorize');
  assert.equal(await page.title(), `Sign in to continue to ${APP_NAME}`);
  assert.equal(await page.getByLabel('Email').inputValue(), EMAIL, 'the email is kept');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not echoed');
  assert.equal(callback.pending(), 0, 'the client heard from a failed sign-in');
  checkClean();
});

test('Cancel sends the browser back to the client with access_denied and the state', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const { page, checkClean } = await openPage(t);
  const { challenge } = pkce();
  const state = randomBytes(16).toString('base64url');
  await openSignIn(page, { challenge, state });

  // Cancel needs no email or password (formnovalidate).
  const landed = page.waitForURL((url) => url.href.startsWith(`${callback.uri}?`), { waitUntil: 'load' });
  await page.getByRole('button', { name: 'Cancel' }).click();
  await landed;
  const hit = await callback.next();
  assert.equal(hit.query.get('error'), 'access_denied');
  assert.equal(hit.query.get('state'), state);
  assert.equal(hit.query.get('iss'), gatehouse.issuer);
  assert.equal(hit.query.get('code'), null);
  checkClean();
});
