// What the interoperability tests share: the gatehouse binary behind TLS names of its own.
//
// Some clients only speak HTTPS (openid-client refuses http: unless told otherwise), Commerce
// Layer's js-auth always calls `https://auth.<domain>`, and its SDK and CLI call the resource
// API at `https://<organization slug>.<domain>/api`. So each test process makes a throwaway
// certificate authority and one certificate for auth.gatehouse.test and acme.gatehouse.test
// (openssl, in a temporary folder), puts a small TLS proxy in front of `gatehouse serve`, and
// makes this Node process's fetch resolve those names to 127.0.0.1 and trust that authority
// (undici's global dispatcher: Node's fetch, which every client here uses, goes through it).
// A client run as a process of its own (Commerce Layer's CLI) gets the same through its
// environment: `clientProcessEnvironment()`. Nothing outside the test's processes changes: no
// /etc/hosts, no system trust store, no file in the real home folder.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';

import { Agent, setGlobalDispatcher } from 'undici';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(HERE, '..', '..');
const GATEHOUSE_BIN = path.resolve(process.env.GATEHOUSE_BIN || path.join(REPO, 'target', 'debug', 'gatehouse'));

/** The name the clients see; `.test` is reserved (RFC 6761) and never resolves elsewhere. */
export const HOST = 'auth.gatehouse.test';
/** The organization's slug in the demo seed (and in the seeds the tests write from it). */
export const ORGANIZATION_SLUG = 'acme';
/** Where Commerce Layer's SDK and CLI find the resource API: `https://{slug}.{domain}/api`. */
export const API_HOST = `${ORGANIZATION_SLUG}.gatehouse.test`;
/** Every name that resolves to this machine, and that the certificate is for. */
export const NAMES = [HOST, API_HOST];
export const STEP_TIMEOUT_MS = 15_000;

export const STOREFRONT = 'demo-storefront';
export const INTEGRATION = 'demo-integration';
export const INTEGRATION_SECRET = 'demo-integration-secret-change-me-0123456789';
export const WEBAPP = 'demo-webapp';
export const WEBAPP_SECRET = 'demo-webapp-secret-change-me-0123456789abcdef';
export const WEBAPP_REDIRECT = 'http://localhost:8080/callback';
export const ADMIN = { email: 'admin@example.com', password: 'admin-demo-password' };
export const BOB = { email: 'bob@example.com', password: 'bob-demo-password' };

function listenOnFreePort(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
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

function openssl(dir, args) {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    throw new Error(`openssl ${args.join(' ')} failed (openssl is needed to make the test's certificate): ${error.stderr ?? error}`);
  }
}

/** A certificate authority made for this run, and a certificate it signed for NAMES. */
function makeCertificates(dir) {
  const day = ['-days', '2'];
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Gatehouse interop test CA', ...day,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'server.key', '-out', 'server.csr', '-subj', `/CN=${HOST}`]);
  const altNames = NAMES.map((name) => `DNS:${name}`).join(',');
  writeFileSync(path.join(dir, 'server.ext'),
    `subjectAltName=${altNames}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key',
    '-CAcreateserial', '-out', 'server.crt', ...day, '-extfile', 'server.ext']);
  const read = (name) => readFileSync(path.join(dir, name), 'utf8');
  return { ca: read('ca.crt'), key: read('server.key'), cert: read('server.crt') };
}

/** A folder for this process's files, removed when the process exits. */
let scratch;
function scratchDir() {
  if (!scratch) {
    scratch = mkdtempSync(path.join(tmpdir(), 'gatehouse-interop-files-'));
    process.once('exit', () => rmSync(scratch, { recursive: true, force: true }));
  }
  return scratch;
}

/** `text` in a new file `name` of the scratch folder: its path. */
export function writeTempFile(name, text) {
  const file = path.join(mkdtempSync(path.join(scratchDir(), 'file-')), name);
  writeFileSync(file, text);
  return file;
}

/** `value` as JSON in a new file of the scratch folder (a seed for `--seed`, say): its path. */
export function writeTempJson(name, value) {
  return writeTempFile(name, `${JSON.stringify(value, null, 2)}\n`);
}

/** A new folder in the scratch folder (a client's home, say): its path. */
export function makeTempDir(prefix) {
  return mkdtempSync(path.join(scratchDir(), prefix));
}

/**
 * This process's fetch: NAMES resolve to 127.0.0.1 and the run's authority is trusted (it alone:
 * nothing here may reach past this machine). Any other name fails to resolve. Made once per
 * process; every server of the process is behind the same names and certificate.
 */
let certificates;
function routeHostToThisMachine() {
  if (certificates) return certificates;
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-interop-ca-'));
  certificates = makeCertificates(dir);
  rmSync(dir, { recursive: true, force: true });
  const lookup = (hostname, options, callback) => {
    if (!NAMES.includes(hostname)) {
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (the interop tests only reach ${NAMES.join(', ')})`), { code: 'ENOTFOUND' }));
    } else if (options?.all) {
      callback(null, [{ address: '127.0.0.1', family: 4 }]);
    } else {
      callback(null, '127.0.0.1', 4);
    }
  };
  setGlobalDispatcher(new Agent({ connect: { lookup, ca: certificates.ca } }));
  return certificates;
}

/**
 * The environment of a client started as a process of its own (Commerce Layer's CLI), after
 * `startGatehouseOverTls`: it trusts the run's authority (NODE_EXTRA_CA_CERTS, read by Node's
 * fetch at start), resolves NAMES to 127.0.0.1 and no other name (resolve-gatehouse-names.cjs,
 * preloaded through NODE_OPTIONS), and keeps its configuration in `home`, never in the real
 * home folder. No update checks, no colours.
 */
export function clientProcessEnvironment(home) {
  const { ca } = routeHostToThisMachine();
  const caFile = path.join(scratchDir(), 'ca.crt');
  writeFileSync(caFile, ca);
  for (const dir of ['config', 'data', 'cache']) mkdirSync(path.join(home, dir), { recursive: true });
  const preload = path.join(HERE, 'resolve-gatehouse-names.cjs');
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
    XDG_CACHE_HOME: path.join(home, 'cache'),
    TMPDIR: tmpdir(),
    NODE_EXTRA_CA_CERTS: caFile,
    NODE_OPTIONS: `--require ${JSON.stringify(preload)}`,
    GATEHOUSE_INTEROP_NAMES: NAMES.join(','),
    NO_UPDATE_NOTIFIER: '1',
    NO_COLOR: '1',
    FORCE_COLOR: '0',
    CI: '1',
  };
}

/**
 * `gatehouse serve` (demo seed, `extraArgs` added, `extraEnv` in its environment) behind a TLS
 * proxy at https://HOST:<port>,
 * which is also its issuer, and at https://API_HOST:<port>. Returns { issuer, domain, stop() };
 * `domain` (`gatehouse.test:<port>`) is what js-auth, the SDK and the CLI take.
 */
export async function startGatehouseOverTls(extraArgs = [], extraEnv = {}) {
  try {
    accessSync(GATEHOUSE_BIN, constants.X_OK);
  } catch {
    throw new Error(`no gatehouse binary at ${GATEHOUSE_BIN}: build it (cargo build -p gatehouse-cli --bin gatehouse) or set GATEHOUSE_BIN`);
  }
  const { key, cert } = routeHostToThisMachine();
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-interop-'));

  const free = createServer();
  const port = await listenOnFreePort(free);
  await new Promise((resolve) => free.close(resolve));

  const sockets = new Set();
  const proxy = createTlsServer({ key, cert }, (client) => {
    const upstream = connect({ host: '127.0.0.1', port });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream).pipe(client);
  });
  proxy.on('tlsClientError', () => {});
  const tlsPort = await listenOnFreePort(proxy);
  const domain = `gatehouse.test:${tlsPort}`;
  const issuer = `https://${HOST}:${tlsPort}`;

  const child = spawn(
    GATEHOUSE_BIN,
    ['serve', '--host', '127.0.0.1', '--port', String(port), '--issuer', issuer, ...extraArgs],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...extraEnv } },
  );
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  let exited = null;
  const exit = new Promise((resolve) => child.once('exit', (code, signal) => { exited = { code, signal }; resolve(); }));
  child.once('error', (error) => { output += `\n${error}`; });
  process.once('exit', () => { if (!exited) child.kill('SIGKILL'); });

  const stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
    if (!exited) {
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exit;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (exited) break;
    if (await canConnect(port)) return { issuer, domain, stop, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`gatehouse serve did not listen on port ${port} within 20 s (${JSON.stringify(exited)}):\n${output}`);
}

/**
 * What a user does in a browser at `authorizeUrl`: opens the sign-in page, signs in as `who`
 * and approves. Returns the URL the server redirects to (the client's redirect URI, with
 * `code`, `state` and `iss`), without following it.
 */
export async function signInAndAllow(authorizeUrl, who) {
  const page = await fetch(authorizeUrl, { signal: AbortSignal.timeout(STEP_TIMEOUT_MS) });
  const html = await page.text();
  assert.equal(page.status, 200, html);
  const csrf = html.match(/name="csrf" value="([^"]+)"/)?.[1];
  assert.ok(csrf, 'the sign-in page has a csrf field');
  const cookie = page.headers.get('set-cookie')?.split(';')[0];
  assert.ok(cookie, 'the sign-in page sets a cookie');
  const form = new URLSearchParams(new URL(authorizeUrl).searchParams);
  form.set('csrf', csrf);
  form.set('email', who.email);
  form.set('password', who.password);
  form.set('action', 'allow');
  const answer = await fetch(new URL('/oauth/authorize', authorizeUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: form,
    redirect: 'manual',
    signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
  });
  assert.equal(answer.status, 303, await answer.text());
  return new URL(answer.headers.get('location'));
}
