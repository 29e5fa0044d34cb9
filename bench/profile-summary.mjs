/**
 * Where a loaded server's CPU time went, per request: reads the V8 CPU profiles `bench/load.mjs` writes with
 * BENCH_CPU_PROF and splits each sample by what it was doing (docs/performance.md has the method and results).
 *
 *   NEXT_SERVER_MINIFY=0 TARGETS=forgeApi REPS=1 BENCH_CPU_PROF=.data/prof/forgeApi npm run bench
 *   node bench/profile-summary.mjs .data/prof/forgeApi <requests served: the warm-up's and the run's n=>
 *
 * Each sample goes to the innermost frame that names a part: a library by its file (jose, Prisma and its
 * driver, pg, better-sqlite3), else the app's own functions by name (server bundles keep names when built
 * with NEXT_SERVER_MINIFY=0), else Next.js (its runtime and the route plumbing), else Node itself. Garbage
 * collection and idle time are their own rows.
 *
 * µs per request: each part's busy time over the requests served. The profile spans the server's whole
 * life (start-up, install and seeding too), a few per cent of the busy time at these loads; on a machine
 * shared with other work the sampled time includes some time the process waited for the core, so read
 * the shares first and the µs as an upper bound.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [dir, requestsArg] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node bench/profile-summary.mjs <folder of .cpuprofile files> [requests served]');
  process.exit(2);
}
const requests = Number(requestsArg) || undefined;

/** Innermost match wins; libraries are tried before app function names, so Prisma called from the site store counts as Prisma. */
const LIBRARIES = [
  ['JWT verification (jose, WebCrypto)', /\/jose\/|node:internal\/crypto|internal\/crypto/],
  ['Prisma client + query engine', /@prisma\/client|@prisma\/client-runtime|lib\/db\/generated|query_compiler|prisma/i],
  ['SQLite driver (better-sqlite3, adapter)', /better-sqlite3|adapter-better-sqlite3/],
  ['PostgreSQL driver (pg, adapter)', /\/pg\/|pg-protocol|pg-pool|adapter-pg/],
];
const APP = [
  ['Connect JWT check (app code: qsh, claims, tenant cache)', /^(verifyConnectRequest|tokenFromRequest|unverifiedIssuer|verifyClaims|checkQsh|computeQsh|qshMatches|canonical\w*|authenticate\w*|connectCaller)$/],
  ['FIT check (app code)', /^(verifyForge\w*|forgeCaller|assertNotIsolatedCloud|forgeSiteClaims|extensionIssueKey|createForgeKeySet)$/],
  ['Forge site resolution (app code)', /^(resolveForgeInstallation|siteForNewInstallation|adoptCloudId)$/],
  ['Notes API + serialisation', /^(listNotes|createNote|view|stringify|json)$/],
  ['Webhook handling (app code)', /^(receiveWebhook|processOnce|readJsonBody|readText|webhookIdOf|plan)$/],
  ['Iframe page (app code)', /^(iframePage|shell|pageProductUrl|tenantFrameAncestors|allowedFrameAncestors)$/],
];

const totals = new Map();
let totalUs = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categoryOf = new Map();
  const categorise = (id) => {
    if (categoryOf.has(id)) return categoryOf.get(id);
    const frames = [];
    for (let at = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at).callFrame);
    const leaf = frames[0];
    let category;
    if (leaf.functionName === '(garbage collector)') category = 'Garbage collection';
    else if (leaf.functionName === '(idle)') category = 'Idle';
    else if (leaf.functionName === '(program)') category = 'V8/native, unattributed';
    else category = LIBRARIES.find(([, re]) => frames.some((f) => re.test(f.url)))?.[0]
      ?? APP.find(([, re]) => frames.some((f) => re.test(f.functionName) && !/node_modules|node:/.test(f.url)))?.[0]
      ?? (frames.some((f) => /\/next\/|\.next/.test(f.url)) ? 'Next.js (server, routing, request/response)' : 'Node.js (http, streams, timers)');
    categoryOf.set(id, category);
    return category;
  };
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    const c = categorise(id);
    totals.set(c, (totals.get(c) ?? 0) + us);
    totalUs += us;
  });
}

const busyUs = totalUs - (totals.get('Idle') ?? 0);
const perRequest = (us) => (requests ? (us / requests).toFixed(0) : '—');
console.log(`| part | share of busy CPU | µs per request${requests ? ` (${requests} requests)` : ''} |`);
console.log('|---|---|---|');
for (const [c, us] of [...totals].sort((a, b) => b[1] - a[1])) {
  if (c === 'Idle') continue;
  console.log(`| ${c} | ${((100 * us) / busyUs).toFixed(1)}% | ${perRequest(us)} |`);
}
console.log(`| (busy total) | 100% | ${perRequest(busyUs)} |`);
