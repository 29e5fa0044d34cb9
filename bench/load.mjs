// Load benchmark of the hot paths, over real HTTP against a production build:
//   an authenticated webhook (strict qsh), an iframe page load (strict qsh + the page's static shell),
//   a context-token API call (context-qsh + tenant lookup + notes query), the same notes API through the Forge
//   door (FIT verified against a local JWKS + site resolution + notes query), and the unauthenticated
//   descriptor route as this app's own ceiling.
//
//   npm run bench            (builds first; BENCH_SKIP_BUILD=1 reuses .next-bench)
//
// Method as in shared/bench/ace-baseline/bench.js, so the figures sit side by side: autocannon with 20
// connections, WARMUP s per target, then REPS × DURATION s round-robin; the server is pinned to core 0
// and this process (with autocannon) to core 1 where `taskset` exists.
// Knobs: DURATION (10), CONNECTIONS (20), REPS (3), WARMUP (5), BENCH_DATABASE_URL (default: SQLite file),
// ACE_BASELINE_DIR (a copy of shared/bench/ace-baseline where run-all.sh wrote results/, for same-hour figures),
// TARGETS (a comma-separated subset, e.g. `ceiling,forgeApi`), BENCH_CPU_PROF (a folder: the server writes a
// V8 CPU profile there when it stops; bench/profile-summary.mjs breaks it down per request), BENCH_NODE_ARGS
// (more node flags for the server, e.g. `--trace-gc`), BENCH_SERVER_LOG (a file for the server's output).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createServer } from 'node:https';
import autocannon from 'autocannon';
import * as ajwt from 'atlassian-jwt';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { buildUi } from '../scripts/ui-build.mjs';
import { startInstallKeyServer, signedInstall } from './product.mjs';

const root = path.resolve(import.meta.dirname, '..');
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const REPS = Number(process.env.REPS ?? 3);
const WARMUP = Number(process.env.WARMUP ?? 5);
const PORT = Number(process.env.BENCH_PORT ?? 3200);
const APP_URL = `http://127.0.0.1:${PORT}`;
const ACCOUNT_ID = '557058:f58131cb-b67d-43c7-b30d-6b58d40bd077';
const hasTaskset = spawnSync('taskset', ['--version']).status === 0;

// Re-run this script on core 1 so autocannon never competes with the server for core 0.
if (hasTaskset && !process.env.BENCH_PINNED) {
  const child = spawnSync('taskset', ['-c', '1', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_PINNED: '1' } });
  process.exit(child.status ?? 1);
}

const dataDir = path.join(root, '.data', 'bench');
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const keys = await startInstallKeyServer();
const forge = await startForgePlatform();
const env = {
  ...process.env,
  NODE_ENV: 'production',
  PORT: String(PORT),
  APP_URL,
  DATABASE_URL: process.env.BENCH_DATABASE_URL ?? `file:${path.join(dataDir, 'app.db')}`,
  ENCRYPTION_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
  CONNECT_INSTALL_KEYS_URL: keys.url,
  CONNECT_ALLOWED_HOSTS: '*.atlassian.net',
  NEXT_DIST_DIR: '.next-bench',
  CONNECT_LOG: 'silent',
  FORGE_APP_ID: forge.appId,
  FORGE_JWKS_URL: forge.jwksUrl,
  // Production accepts only an https JWKS: the bench's own, with a certificate only this run trusts.
  NODE_EXTRA_CA_CERTS: forge.caFile,
};
const next = path.join(root, 'node_modules/next/dist/bin/next');

function step(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (result.status !== 0) {
    process.stdout.write(result.stdout ?? '');
    throw new Error(`${args.join(' ')} failed`);
  }
  return result.stdout;
}

step(['scripts/db/migrate.mjs']);
// What a panel downloads when it opens, either door: the production bundles (scripts/ui-build.mjs). Built before
// `next build`, which compiles in the names the Connect pages' shells load.
const ui = await buildUi();
if (!process.env.BENCH_SKIP_BUILD) {
  console.log('building for production (.next-bench)…');
  step([next, 'build']);
}

const profileArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
// The server runs with the node flags `npm start` gives it (the old-space bound: docs/performance.md, Memory).
const startFlags = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts.start.match(/--max-old-space-size=\d+/g) ?? [];
const nodeArgs = [...startFlags, ...(process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)];
const serverArgs = [...profileArgs, ...nodeArgs, next, 'start', '-p', String(PORT), '-H', '127.0.0.1'];
const serverOut = process.env.BENCH_SERVER_LOG ? openSync(process.env.BENCH_SERVER_LOG, 'w') : 'ignore';
const serverStdio = ['ignore', serverOut, serverOut];
const server = hasTaskset
  ? spawn('taskset', ['-c', '0', process.execPath, ...serverArgs], { cwd: root, env, stdio: serverStdio })
  : spawn(process.execPath, serverArgs, { cwd: root, env, stdio: serverStdio });
const stopServer = () => server.kill('SIGTERM');
process.on('exit', stopServer);

try {
  await waitFor(`${APP_URL}/atlassian-connect.json`);
  // `taskset` execs node, so this is node's PID either way.
  const serverPid = server.pid;

  // Install a tenant exactly as Atlassian would: a signed `installed` callback.
  const tenant = { clientKey: randomUUID(), sharedSecret: randomUUID() + randomUUID(), baseUrl: 'https://bench.atlassian.net' };
  const install = await fetch(`${APP_URL}/api/lifecycle/installed`, signedInstall(keys, tenant, APP_URL));
  if (install.status !== 204) throw new Error(`install failed: ${install.status} ${await install.text()}`);

  const sign = (claims) => {
    const now = Math.floor(Date.now() / 1000);
    return ajwt.encodeSymmetric({ iss: tenant.clientKey, iat: now, exp: now + 900, ...claims }, tenant.sharedSecret);
  };
  const qsh = (method, url) => ajwt.createQueryStringHash(ajwt.fromMethodAndUrl(method, url), false, APP_URL);
  const contextToken = sign({ sub: ACCOUNT_ID, qsh: 'context-qsh', context: { jira: { issue: { key: 'BENCH-42', id: '10042' }, project: { key: 'BENCH', id: '10000' } } } });

  // Some notes to list, through the API itself.
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`${APP_URL}/api/notes`, {
      method: 'POST',
      headers: { authorization: `JWT ${contextToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issueKey: 'BENCH-42', projectKey: 'BENCH', text: `Benchmark note ${i}` }),
    });
    if (r.status !== 201) throw new Error(`seeding notes failed: ${r.status} ${await r.text()}`);
  }

  // A Forge site with the same ten notes, through the Forge door. The FIT lives for the whole run (Forge's
  // live for seconds): the cost measured is verifying it, not minting it.
  const forgeFit = await forge.sign({ issueKey: 'BENCH-42', lifetime: 3600 });
  for (let i = 0; i < 10; i++) {
    const r = await fetch(`${APP_URL}/api/forge/notes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${forgeFit}`, 'content-type': 'application/json' },
      body: JSON.stringify({ issueKey: 'BENCH-42', projectKey: 'BENCH', text: `Forge benchmark note ${i}` }),
    });
    if (r.status !== 201) throw new Error(`seeding Forge notes failed: ${r.status} ${await r.text()}`);
  }

  // A deletion of another issue: each delivery is recorded and applied in one transaction, as in production.
  const webhookPath = '/api/webhooks/issue-deleted';
  const webhookBody = JSON.stringify({
    timestamp: 1700000000000,
    webhookEvent: 'jira:issue_deleted',
    user: { accountId: ACCOUNT_ID, displayName: 'Bench User' },
    issue: { id: '10099', key: 'BENCH-99', fields: { summary: 'Benchmark issue', project: { id: '10000', key: 'BENCH' }, description: 'Lorem ipsum dolor sit amet. '.repeat(16) } },
  });
  // An edit that changes nothing the app keeps: verified, parsed and acknowledged, no database write. The
  // same work as ACE's benchmark webhook, so the two compare authentication cost alone.
  const ignoredPath = '/api/webhooks/issue-updated';
  const ignoredBody = JSON.stringify({ ...JSON.parse(webhookBody), webhookEvent: 'jira:issue_updated', changelog: { items: [{ field: 'summary', fromString: 'Old', toString: 'New' }] } });
  const pageUrl = `/connect/issue-notes?issueKey=BENCH-42&projectKey=BENCH&xdm_e=${encodeURIComponent(tenant.baseUrl)}&xdm_c=channel-bench&cp=&lic=none&cv=1001.0.0`;

  const allTargets = {
    ceiling: { label: 'GET /atlassian-connect.json (no auth): this app’s ceiling', expect: 200, make: () => ({ url: `${APP_URL}/atlassian-connect.json` }) },
    webhook: {
      label: 'POST /api/webhooks/issue-deleted (strict qsh, delivery recorded, notes deleted)',
      expect: 204,
      make: () => ({
        url: `${APP_URL}${webhookPath}`,
        method: 'POST',
        body: webhookBody,
        headers: { authorization: `JWT ${sign({ qsh: qsh('POST', webhookPath) })}`, 'content-type': 'application/json' },
        // A fresh identifier per request: each one is a new delivery, not a deduplicated retry.
        setupRequest: (req) => ({ ...req, headers: { ...req.headers, 'x-atlassian-webhook-identifier': randomUUID() } }),
      }),
    },
    webhookVerify: {
      label: 'POST /api/webhooks/issue-updated (strict qsh, nothing to change)',
      expect: 204,
      make: () => ({
        url: `${APP_URL}${ignoredPath}`,
        method: 'POST',
        body: ignoredBody,
        headers: { authorization: `JWT ${sign({ qsh: qsh('POST', ignoredPath) })}`, 'content-type': 'application/json' },
      }),
    },
    page: {
      label: 'GET /connect/issue-notes?…&jwt= (strict qsh, static shell)',
      expect: 200,
      make: () => ({ url: `${APP_URL}${pageUrl}&jwt=${sign({ sub: ACCOUNT_ID, qsh: qsh('GET', pageUrl) })}` }),
    },
    api: {
      label: 'GET /api/notes?issueKey= (context-qsh, 10 notes)',
      expect: 200,
      make: () => ({ url: `${APP_URL}/api/notes?issueKey=BENCH-42`, headers: { authorization: `JWT ${contextToken}` } }),
    },
    forgeApi: {
      label: 'GET /api/forge/notes?issueKey= (FIT RS256 + site resolution, 10 notes)',
      expect: 200,
      make: () => ({ url: `${APP_URL}/api/forge/notes?issueKey=BENCH-42`, headers: { authorization: `Bearer ${forgeFit}` } }),
    },
  };

  const chosen = process.env.TARGETS ? process.env.TARGETS.split(',').map((t) => t.trim()) : Object.keys(allTargets);
  const targets = Object.fromEntries(chosen.map((name) => [name, allTargets[name] ?? fail(`unknown target ${name}`)]));

  // Preflight: each request is accepted as made, and refused without its token.
  for (const [name, t] of Object.entries(targets)) {
    const { setupRequest, ...req } = t.make();
    const prepared = setupRequest ? setupRequest(req) : req;
    const ok = await fetch(prepared.url, { method: prepared.method ?? 'GET', headers: prepared.headers, body: prepared.body });
    if (ok.status !== t.expect) throw new Error(`preflight ${name}: expected ${t.expect}, got ${ok.status} ${await ok.text()}`);
    if (name !== 'ceiling') {
      const bare = await fetch(prepared.url.replace(/[?&]jwt=[^&]+$/, ''), { method: prepared.method ?? 'GET', headers: { 'content-type': 'application/json' }, body: prepared.body });
      if (bare.status !== 401) throw new Error(`preflight ${name} without a token: expected 401, got ${bare.status}`);
    }
  }
  const connectPage = await shellBundle(`${APP_URL}${pageUrl}&jwt=${sign({ sub: ACCOUNT_ID, qsh: qsh('GET', pageUrl) })}`, ui.find((p) => p.door === 'connect' && p.name === 'issue-notes'));

  console.log(`node ${process.version}, ${DURATION}s × ${REPS} per target after ${WARMUP}s warm-up, ${CONNECTIONS} connections, ${hasTaskset ? 'server on core 0, load on core 1' : 'no taskset: unpinned'}`);
  for (const [name, t] of Object.entries(targets)) {
    const r = await run(t.make(), WARMUP);
    console.log(`warm-up ${name}: ${r.requests.average.toFixed(0)} req/s n=${r.requests.total}`);
  }
  const runs = Object.fromEntries(Object.keys(targets).map((n) => [n, []]));
  for (let rep = 1; rep <= REPS; rep++) {
    for (const [name, t] of Object.entries(targets)) {
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(serverPid))), 250);
      const cpuBefore = cpuMs(serverPid);
      const r = await Promise.resolve(run(t.make(), DURATION)).finally(() => clearInterval(sampler));
      // The server's own CPU time per request: unlike req/s, barely moved by other work on a shared machine.
      const cpuUsPerReq = (1000 * (cpuMs(serverPid) - cpuBefore)) / Math.max(1, r.requests.total);
      const row = { reqPerSec: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors + r.timeouts, rssMiB: Math.max(peak, rssMiB(serverPid)), cpuUsPerReq };
      runs[name].push(row);
      console.log(`rep ${rep} ${name.padEnd(8)} ${row.reqPerSec.toFixed(0).padStart(6)} req/s p50=${row.p50}ms p99=${row.p99}ms non2xx=${row.non2xx} errors=${row.errors} n=${r.requests.total} cpu=${cpuUsPerReq.toFixed(0)}µs/req`);
    }
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, rs]) => [
      name,
      { reqPerSec: median(rs.map((r) => r.reqPerSec)), p50: median(rs.map((r) => r.p50)), p99: median(rs.map((r) => r.p99)), non2xx: rs.reduce((a, r) => a + r.non2xx, 0), errors: rs.reduce((a, r) => a + r.errors, 0), rssMiB: Math.max(...rs.map((r) => r.rssMiB)), cpuUsPerReq: median(rs.map((r) => r.cpuUsPerReq)) },
    ]),
  );
  const ace = aceBaseline();
  const aceFor = { webhook: 'webhook', webhookVerify: 'webhook', page: 'panel', api: 'api', forgeApi: 'api' };
  // Issue 21's targets: each hot path as a share of this app's own ceiling, memory against ACE, bytes a user downloads.
  const goals = { webhook: 60, webhookVerify: 95, page: 80, api: 80, forgeApi: 75 };
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const met = (ok) => (ok ? 'met' : '**not met**');
  console.log(`\n| target | req/s (median) | p50 ms | p99 ms | non-2xx | errors | of own ceiling (req/s) | server CPU µs/req | of own ceiling (CPU) | goal (req/s; CPU) | vs ACE (${ace.source}) |`);
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [name, s] of Object.entries(summary)) {
    const share = summary.ceiling ? (100 * s.reqPerSec) / summary.ceiling.reqPerSec : NaN;
    const cpuShare = summary.ceiling ? (100 * summary.ceiling.cpuUsPerReq) / s.cpuUsPerReq : NaN;
    const vsCeiling = name === 'ceiling' ? '—' : `${share.toFixed(0)}%`;
    const vsCeilingCpu = name === 'ceiling' ? '—' : `${cpuShare.toFixed(0)}%`;
    const goal = goals[name] ? `≥ ${goals[name]}%: ${met(share >= goals[name])}; ${met(cpuShare >= goals[name])}` : '—';
    const aceRate = ace.reqPerSec[aceFor[name]];
    const vsAce = aceRate ? `${(s.reqPerSec / aceRate).toFixed(2)}× (ACE ${aceRate.toFixed(0)})` : '—';
    console.log(`| ${targets[name].label} | ${s.reqPerSec.toFixed(0)} | ${s.p50} | ${s.p99} | ${s.non2xx} | ${s.errors} | ${vsCeiling} | ${s.cpuUsPerReq.toFixed(0)} | ${vsCeilingCpu} | ${goal} | ${vsAce} |`);
  }
  const peakRss = Math.max(...Object.values(summary).map((s) => s.rssMiB));
  const aceRss = 184;
  console.log(`| server RSS, peak while loaded (whole process tree) | ${peakRss.toFixed(0)} MiB | | | | | | | | ≤ 2 × ACE (${2 * aceRss} MiB): ${met(peakRss <= 2 * aceRss)} | ACE ${aceRss} MiB |`);
  const { js, css, lazyJs } = connectPage;
  console.log(`| iframe page first-load JavaScript (its module script and static imports) | ${kib(js.gzipBytes)} gzipped | | | | | ${kib(js.bytes)} raw; + ${kib(css.gzipBytes)} CSS, ${kib(lazyJs.gzipBytes)} JS on demand (gzipped) | | | ≤ 130 KiB: ${met(js.gzipBytes <= 130 * 1024)} | |`);
  for (const b of ui.filter((p) => p.door === 'forge')) {
    console.log(`| Custom UI ${b.name}: main.js and its static imports | ${kib(b.js.gzipBytes)} gzipped | | | | | ${kib(b.js.bytes)} raw; + ${kib(b.css.gzipBytes)} CSS, ${kib(b.lazyJs.gzipBytes)} JS on demand (gzipped) | | | ≤ 100 KiB: ${met(b.js.gzipBytes <= 100 * 1024)} | |`);
  }
  const out = path.join(root, 'bench', 'results', `load-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ config: { DURATION, CONNECTIONS, REPS, WARMUP, node: process.version, database: env.DATABASE_URL.split(':')[0] }, summary, runs, ui, ace }, null, 2));
  console.log(`results: ${path.relative(root, out)}`);
} finally {
  stopServer();
  await keys.close();
  await forge.close();
}

/**
 * Plays the Forge platform for the Forge door: an RS256 key, its JWKS over https on loopback (a self-signed
 * certificate made with openssl for 127.0.0.1, trusted by the server through NODE_EXTRA_CA_CERTS), FITs for one site.
 */
async function startForgePlatform() {
  const appId = 'ari:cloud:ecosystem::app/8db33809-1f32-48bb-8c52-5877dab48107';
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' }] });
  const caFile = path.join(dataDir, 'jwks-cert.pem');
  const keyFile = path.join(dataDir, 'jwks-key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile], { stdio: 'ignore' });
  if (made.status !== 0) throw new Error('openssl could not make the bench JWKS certificate');
  const server = createServer({ key: readFileSync(keyFile), cert: readFileSync(caFile) }, (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(jwks));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const cloudId = randomUUID();
  const installationId = `ari:cloud:ecosystem::installation/${randomUUID()}`;
  return {
    appId,
    jwksUrl: `https://127.0.0.1:${server.address().port}/jwks.json`,
    caFile,
    sign: ({ issueKey, lifetime }) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({
        // The issue panel of forge/manifest.yml: the UI API accepts only its UI modules (lib/forge/route-rules.ts).
        app: { id: appId, installationId, apiBaseUrl: `https://api.atlassian.com/ex/jira/${cloudId}`, environment: { type: 'DEVELOPMENT', id: randomUUID() }, module: { type: 'jira:issuePanel', key: 'issue-notes-forge' } },
        context: { cloudId, siteUrl: 'https://bench-forge.atlassian.net', extension: { issue: { key: issueKey, id: '10042', type: 'Task' }, project: { key: 'BENCH', id: '10000' } } },
        principal: ACCOUNT_ID,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench-1' })
        .setIssuer('forge/invocation-token')
        .setAudience(appId)
        .setIssuedAt(now)
        .setExpirationTime(now + lifetime)
        .sign(privateKey);
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

function fail(message) {
  throw new Error(message);
}

function run(request, duration) {
  const { setupRequest, ...rest } = request;
  return autocannon({ ...rest, requests: setupRequest ? [{ setupRequest }] : undefined, connections: CONNECTIONS, pipelining: 1, duration });
}

async function waitFor(url) {
  for (let i = 0; i < 120; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer`);
}

function rssMiB(pid) {
  // `next start` serves from a child process: count the whole tree.
  const pids = [pid, ...descendants(pid)];
  let kb = 0;
  for (const p of pids) {
    const m = readFileSync(`/proc/${p}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
    if (m) kb += Number(m[1]);
  }
  return kb / 1024;
}

/** CPU time (user + system) of the server's process tree so far, in ms; /proc counts in clock ticks. */
function cpuMs(pid) {
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let ticks = 0;
  for (const p of [pid, ...descendants(pid)]) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {}
  }
  return (1000 * ticks) / ticksPerSecond;
}

function descendants(pid) {
  try {
    const children = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
    return children.flatMap((c) => [c, ...descendants(c)]);
  } catch {
    return [];
  }
}

/**
 * What the iframe page's shell loads, as the UI build measured it: the shell must name the build's module
 * script (else the sizes would describe another build), and the server must serve it immutable, so a panel
 * that opens again fetches nothing but the shell.
 */
async function shellBundle(pageUrl, built) {
  const html = await (await fetch(pageUrl)).text();
  const scripts = [...html.matchAll(/<script type="module" src="([^"]+)"><\/script>/g)].map((m) => m[1]);
  if (scripts.length !== 1 || scripts[0] !== built?.script) throw new Error(`the page's shell loads ${scripts.join(', ') || 'no module script'}, not the build's ${built?.script}: build again (without BENCH_SKIP_BUILD)`);
  const asset = await fetch(`${APP_URL}${built.script}`);
  await asset.arrayBuffer();
  if (asset.status !== 200 || !/immutable/.test(asset.headers.get('cache-control') ?? '')) throw new Error(`${built.script}: ${asset.status}, Cache-Control ${asset.headers.get('cache-control')}`);
  return built;
}

/** ACE's figures: the newest shared/bench/ace-baseline run on this machine, else the figures in its README. */
function aceBaseline() {
  const dir = path.join(process.env.ACE_BASELINE_DIR ?? path.join(root, '..', 'shared', 'bench', 'ace-baseline'), 'results');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^bench-.*\.json$/.test(f)).sort() : [];
  if (files.length) {
    const { summary } = JSON.parse(readFileSync(path.join(dir, files.at(-1)), 'utf8'));
    return { source: `run ${files.at(-1)}`, reqPerSec: Object.fromEntries(summary.map((s) => [s.target, s.medianReqPerSec])) };
  }
  return { source: 'ace-baseline README, 2026-11', reqPerSec: { webhook: 2077, panel: 1823, api: 1944 } };
}
