/**
 * Two instances of the production build (`next start`, twice, on the build e2e/serve.mjs made) sharing one
 * PostgreSQL database, driven over real HTTP the way Atlassian and the iframes drive a deployment with
 * several replicas: nothing correct may depend on one process's cache.
 *
 * Ports: E2E_PORT + 100 and E2E_PORT + 200. Database: a schema of its own in TEST_DATABASE_URL
 * (default postgresql://postgres@127.0.0.1:5432/test), dropped afterwards. Figures (timings) are printed
 * with RELIABILITY_FIGURES=1.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, openSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import * as ajwt from 'atlassian-jwt';
import pg from 'pg';
import descriptor from '../atlassian-connect.json';

const ROOT = path.resolve(__dirname, '..');
const BASE_PORT = Number(process.env.E2E_PORT ?? 3100);
const PORTS = [BASE_PORT + 100, BASE_PORT + 200];
const INSTANCES = PORTS.map((port) => `http://127.0.0.1:${port}`);
/** Both instances stand behind one public URL, as replicas behind a load balancer do. */
const APP_URL = INSTANCES[0];
const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SCHEMA = `t_instances_${randomBytes(4).toString('hex')}`;
const ENCRYPTION_KEY = randomBytes(32).toString('base64');
const figures: Record<string, string> = {};

test.describe.configure({ mode: 'serial' });
test.setTimeout(120_000);

let keyServer: Server;
let keysUrl: string;
const kid = randomUUID();
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const children: ChildProcess[] = [];

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${SCHEMA}"`);
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

function databaseUrl(): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('schema', SCHEMA);
  return url.toString();
}

async function waitUntilUp(base: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${base}/atlassian-connect.json`)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${base} did not start`);
}

test.beforeAll(async () => {
  // Atlassian's install-key server: GET /<kid> → the public key that signs `installed`/`uninstalled`.
  keyServer = createServer((req, res) => {
    if (req.url === `/${kid}`) res.writeHead(200).end(publicKey.export({ type: 'spki', format: 'pem' }));
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => keyServer.listen(0, '127.0.0.1', resolve));
  keysUrl = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;

  await sql(`CREATE SCHEMA "${SCHEMA}"`);
  const migrated = spawnSync(process.execPath, ['scripts/db/migrate.mjs'], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl() }, encoding: 'utf8' });
  if (migrated.status !== 0) throw new Error(`npm run db:migrate failed: ${migrated.stderr}`);

  for (const port of PORTS) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      APP_URL,
      DATABASE_URL: databaseUrl(),
      ENCRYPTION_KEY,
      CONNECT_ALLOWED_HOSTS: '*.atlassian.net',
      CONNECT_INSTALL_KEYS_URL: keysUrl,
      NEXT_DIST_DIR: '.next-e2e',
    };
    // The instance's log lines (database_unavailable, webhook_duplicate, …) go to test-results/ for a failure's story.
    mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
    const log = openSync(path.join(ROOT, 'test-results', `instance-${port}.log`), 'w');
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/next/dist/bin/next'), 'start', '-p', String(port), '-H', '127.0.0.1'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', log, log],
    });
    children.push(child);
  }
  await Promise.all(INSTANCES.map(waitUntilUp));
});

test.afterAll(async () => {
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((resolve) => c.once('exit', resolve)) : undefined)));
  await new Promise((resolve) => keyServer?.close(resolve));
  await sql(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
  if (process.env.RELIABILITY_FIGURES) console.log(JSON.stringify(figures, null, 2));
});

interface Installation {
  clientKey: string;
  sharedSecret: string;
  baseUrl: string;
}

function newInstallation(overrides: Partial<Installation> = {}): Installation {
  const clientKey = randomUUID();
  return { clientKey, sharedSecret: `secret-${randomUUID()}`, baseUrl: `https://site-${clientKey.slice(0, 8)}.atlassian.net`, ...overrides };
}

const now = () => Math.floor(Date.now() / 1000);
const qsh = (method: string, pathAndQuery: string) => ajwt.createQueryStringHash(ajwt.fromMethodAndUrl(method, `${APP_URL}${pathAndQuery}`), false, APP_URL);

/** POST /api/lifecycle/<event> to `instance`, signed by Atlassian's install key (RS256) as a real install is. */
function lifecycle(instance: string, event: 'installed' | 'uninstalled', t: Installation, iat = now()): Promise<Response> {
  const pathname = `/api/lifecycle/${event}`;
  const claims = { iss: t.clientKey, aud: APP_URL, iat, exp: iat + 180, qsh: qsh('POST', pathname), sub: 'connect:installer' };
  const token = ajwt.encodeAsymmetric(claims, privateKeyPem, ajwt.AsymmetricAlgorithm.RS256, { kid });
  const body = {
    key: descriptor.key,
    clientKey: t.clientKey,
    sharedSecret: t.sharedSecret,
    baseUrl: t.baseUrl,
    productType: 'jira',
    description: 'Atlassian JIRA',
    serverVersion: '100',
    pluginsVersion: '1001.0.0',
    eventType: event,
  };
  return fetch(`${instance}${pathname}`, { method: 'POST', headers: { authorization: `JWT ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** The iframe's context token for an issue page of `t`. */
function contextToken(t: Installation, issueKey: string, secret = t.sharedSecret): string {
  const project = issueKey.slice(0, issueKey.lastIndexOf('-'));
  const claims = {
    iss: t.clientKey,
    sub: '557058:alice',
    iat: now() - 5,
    exp: now() + 600,
    qsh: 'context-qsh',
    context: { jira: { issue: { key: issueKey, id: '10001' }, project: { key: project, id: '10000' } } },
  };
  return ajwt.encodeSymmetric(claims, secret);
}

function listNotes(instance: string, t: Installation, issueKey: string, secret = t.sharedSecret): Promise<Response> {
  return fetch(`${instance}/api/notes?issueKey=${issueKey}`, { headers: { authorization: `JWT ${contextToken(t, issueKey, secret)}` } });
}

function createNote(instance: string, t: Installation, issueKey: string, text: string): Promise<Response> {
  return fetch(`${instance}/api/notes`, {
    method: 'POST',
    headers: { authorization: `JWT ${contextToken(t, issueKey)}`, 'content-type': 'application/json' },
    body: JSON.stringify({ issueKey, text }),
  });
}

/** `jira:issue_deleted` as Jira delivers it: signed with the shared secret, with its delivery identifier. */
function issueDeleted(instance: string, t: Installation, issueKey: string, webhookId: string): Promise<Response> {
  const pathname = '/api/webhooks/issue-deleted';
  const token = ajwt.encodeSymmetric({ iss: t.clientKey, iat: now() - 5, exp: now() + 175, qsh: qsh('POST', pathname) }, t.sharedSecret);
  return fetch(`${instance}${pathname}`, {
    method: 'POST',
    headers: { authorization: `JWT ${token}`, 'content-type': 'application/json', 'X-Atlassian-Webhook-Identifier': webhookId },
    body: JSON.stringify({ webhookEvent: 'jira:issue_deleted', issue: { key: issueKey } }),
  });
}

async function timed<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await run();
  figures[name] = `${Math.round(performance.now() - started)} ms`;
  return result;
}

const statuses = (responses: Response[]) => responses.map((r) => r.status).sort();

test('a reinstall with a rotated secret on one instance is honoured by the other at once', async () => {
  const [a, b] = INSTANCES;
  const t = newInstallation();
  expect((await lifecycle(a, 'installed', t, now() - 10)).status).toBe(204);
  // B verifies (and caches) the tenant with the first secret.
  expect((await listNotes(b, t, 'NOTE-1')).status).toBe(200);
  const rotated = { ...t, sharedSecret: `rotated-${t.sharedSecret}` };
  expect((await lifecycle(a, 'installed', rotated)).status).toBe(204);
  // The very next request on B, signed with the new secret: accepted, no minute of 401s.
  expect((await listNotes(b, rotated, 'NOTE-1')).status).toBe(200);
  const old = await listNotes(b, t, 'NOTE-1');
  expect(old.status).toBe(401);
  expect(await old.json()).toMatchObject({ error: 'BAD_SIGNATURE' });
});

test('an uninstall delivered to the instance that cached an older state is applied', async () => {
  const [a, b] = INSTANCES;
  const t = newInstallation();
  expect((await lifecycle(a, 'installed', t, now() - 20)).status).toBe(204);
  expect((await lifecycle(a, 'uninstalled', t, now() - 15)).status).toBe(204);
  // B caches "uninstalled" (its request is refused) …
  expect((await listNotes(b, t, 'NOTE-1')).status).toBe(401);
  // … then the site reinstalls through A, and uninstalls again through B.
  const again = { ...t, sharedSecret: `again-${t.sharedSecret}` };
  expect((await lifecycle(a, 'installed', again, now() - 10)).status).toBe(204);
  expect((await lifecycle(b, 'uninstalled', again)).status).toBe(204);
  expect(await sql(`SELECT state FROM "Tenant" WHERE "clientKey" = '${t.clientKey}'`)).toEqual([{ state: 'uninstalled' }]);
});

test('50 concurrent installs split over both instances are all stored once, and each secret works on both', async () => {
  const installs = Array.from({ length: 50 }, () => newInstallation());
  const responses = await timed('50 concurrent installs over 2 instances', () => Promise.all(installs.map((t, i) => lifecycle(INSTANCES[i % 2], 'installed', t))));
  expect(statuses(responses)).toEqual(Array(50).fill(204));
  const keys = installs.map((t) => `'${t.clientKey}'`).join(',');
  expect(await sql(`SELECT count(*)::int AS n FROM "Tenant" WHERE "clientKey" IN (${keys})`)).toEqual([{ n: 50 }]);
  // Verified on the instance that did not store it.
  const checks = await Promise.all(installs.map((t, i) => listNotes(INSTANCES[(i + 1) % 2], t, 'NOTE-1')));
  expect(statuses(checks)).toEqual(Array(50).fill(200));
});

test('concurrent installs of different installations for one baseUrl, split over both instances: exactly one wins', async () => {
  const baseUrl = `https://contested-${randomBytes(3).toString('hex')}.atlassian.net`;
  const claimants = Array.from({ length: 10 }, () => newInstallation({ baseUrl }));
  const responses = await Promise.all(claimants.map((t, i) => lifecycle(INSTANCES[i % 2], 'installed', t)));
  expect(statuses(responses)).toEqual([204, ...Array(9).fill(409)]);
  for (const r of responses) if (r.status === 409) expect(await r.json()).toMatchObject({ error: 'CONFLICT' });
  expect(await sql(`SELECT count(*)::int AS n FROM "Tenant" WHERE "baseUrl" = '${baseUrl}'`)).toEqual([{ n: 1 }]);
});

test('200 concurrent webhooks split over both instances (each delivered twice) lose and duplicate nothing', async () => {
  const t = newInstallation();
  expect((await lifecycle(INSTANCES[0], 'installed', t)).status).toBe(204);
  const issues = Array.from({ length: 100 }, (_, i) => `HOOK-${i + 1}`);
  const created = await timed('100 concurrent note writes over 2 instances', () => Promise.all(issues.map((key, i) => createNote(INSTANCES[i % 2], t, key, `note on ${key}`))));
  expect(statuses(created)).toEqual(Array(100).fill(201));
  expect(await sql(`SELECT count(*)::int AS n FROM "Note"`)).toEqual([{ n: 100 }]);

  // Jira redelivers: every delivery arrives twice, once at each instance, all at the same time. Like Jira, a
  // sender retries a 503 after its Retry-After (an overloaded instance may shed load: nothing was recorded).
  let retried = 0;
  const deliver = async (send: () => Promise<Response>): Promise<Response> => {
    for (let attempt = 1; ; attempt++) {
      const response = await send();
      if (response.status !== 503 || attempt === 5) return response;
      retried++;
      await new Promise((resolve) => setTimeout(resolve, Number(response.headers.get('retry-after')) * 1000));
    }
  };
  const deliveries = issues.flatMap((key, i) => {
    const id = `delivery-${i}-${randomUUID()}`;
    return [() => issueDeleted(INSTANCES[0], t, key, id), () => issueDeleted(INSTANCES[1], t, key, id)];
  });
  const responses = await timed('200 concurrent webhooks over 2 instances', () => Promise.all(deliveries.map(deliver)));
  figures['webhooks answered 503 and retried'] = String(retried);
  expect(statuses(responses)).toEqual(Array(200).fill(204));
  expect(await sql(`SELECT count(*)::int AS n FROM "WebhookDelivery"`)).toEqual([{ n: 100 }]);
  expect(await sql(`SELECT count(*)::int AS n FROM "Note"`)).toEqual([{ n: 0 }]);
});
