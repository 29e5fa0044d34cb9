/**
 * `npm run forge:rules`: writes lib/forge/route-rules.generated.ts, the table of which Forge modules may reach
 * which Forge route of this app, from forge/manifest.yml (the one source of truth). The table is committed, so
 * it ships wherever the app runs (Vercel traces only imported files, never forge/manifest.yml); `npm run build`
 * runs this with `--check` and stops when the committed table and the manifest disagree, and so does
 * test/forge/route-rules.test.ts.
 *
 *   npm run forge:rules             rewrite the table from the manifest
 *   node scripts/forge/route-rules.mjs --check   exit 1 if the committed table is out of date
 *
 * What a Forge Invocation Token (FIT) says about the module, per Atlassian's contract
 * (https://developer.atlassian.com/platform/forge/remote/essentials/#the-forge-invocation-token--fit-):
 * `app.module.type` is the UI module's type (`jira:issuePanel`, …) for front-end invocations and `core:endpoint`
 * otherwise; `app.module.key` is that module's key. So:
 *   - a backend endpoint (one with `route.path`: Forge POSTs events, scheduled triggers and preUninstall there)
 *     is reached by `core:endpoint` with the endpoint's key, carrying one of the events its `trigger`s list;
 *   - a UI endpoint (no `route.path`: `invokeRemote` names the path) is reached by the UI modules whose
 *     `resolver.endpoint` is that endpoint, on any path invokeRemote asks for: every route that is not a backend
 *     route is a UI API route.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
export const MANIFEST = 'forge/manifest.yml';
export const OUT = 'lib/forge/route-rules.generated.ts';

/** Backend module types that name an `endpoint` Forge POSTs to (route.path), and whether they carry events. */
const BACKEND_MODULES = { trigger: { events: true }, scheduledTrigger: { events: false }, preUninstall: { events: false } };

export class RouteRulesError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'RouteRulesError';
  }
}

/**
 * The rules a manifest gives the remote's routes.
 * @param {any} manifest  parsed manifest.yml
 * @returns {{ ui: { type: string, key: string, endpoint: string }[], backend: Record<string, { endpoint: string, modules: string[], eventTypes: string[] | null }> }}
 * @example routeRules(parse(readFileSync('forge/manifest.yml', 'utf8'))).backend['/api/forge/events'].endpoint // 'forge-events'
 */
export function routeRules(manifest) {
  const modules = manifest?.modules ?? {};
  const list = (/** @type {string} */ type) => (Array.isArray(modules[type]) ? modules[type] : []);
  const endpoints = new Map(list('endpoint').map((/** @type {any} */ e) => [e.key, e]));

  /** @type {{ type: string, key: string, endpoint: string }[]} */
  const ui = [];
  for (const [type, entries] of Object.entries(modules)) {
    if (type === 'endpoint' || !Array.isArray(entries)) continue;
    for (const module of entries) {
      const endpoint = module?.resolver?.endpoint;
      if (typeof endpoint !== 'string') continue;
      const target = endpoints.get(endpoint);
      if (!target) throw new RouteRulesError(`${type} "${module.key}" names resolver.endpoint "${endpoint}", which the manifest does not declare.`);
      // A UI endpoint's path comes from each invokeRemote call; a route.path on it would be ignored by Forge.
      if (target.route?.path) throw new RouteRulesError(`The endpoint "${endpoint}" serves UI module ${module.key} and also has route.path; keep UI and backend endpoints apart.`);
      ui.push({ type, key: module.key, endpoint });
    }
  }

  /** @type {Record<string, { endpoint: string, modules: string[], eventTypes: string[] | null }>} */
  const backend = {};
  for (const [type, { events }] of Object.entries(BACKEND_MODULES)) {
    for (const module of list(type)) {
      if (typeof module?.endpoint !== 'string') continue; // a Forge function, not the remote
      const target = endpoints.get(module.endpoint);
      const routePath = target?.route?.path;
      if (typeof routePath !== 'string') throw new RouteRulesError(`${type} "${module.key}" names endpoint "${module.endpoint}", which has no route.path.`);
      const rule = (backend[routePath] ??= { endpoint: target.key, modules: [], eventTypes: null });
      if (rule.endpoint !== target.key) throw new RouteRulesError(`Two endpoints (${rule.endpoint}, ${target.key}) route to ${routePath}; the route could not tell their tokens apart.`);
      rule.modules.push(`${type}:${module.key}`);
      if (events) rule.eventTypes = [...new Set([...(rule.eventTypes ?? []), ...(Array.isArray(module.events) ? module.events : [])])].sort();
    }
  }
  return { ui: ui.sort((a, b) => a.key.localeCompare(b.key)), backend: Object.fromEntries(Object.entries(backend).sort(([a], [b]) => a.localeCompare(b))) };
}

/**
 * The TypeScript module for `rules`.
 * @param {ReturnType<typeof routeRules>} rules
 */
export function renderRouteRules(rules) {
  return `// Generated from ${MANIFEST} by scripts/forge/route-rules.mjs (npm run forge:rules). Do not edit by hand:
// test/forge/route-rules.test.ts and \`npm run build\` fail when this file and the manifest disagree.

/** The UI modules whose \`resolver.endpoint\` is a UI endpoint: the only FITs the UI API routes accept. */
export const FORGE_UI_MODULES = ${JSON.stringify(rules.ui, null, 2)} as const;

/**
 * The backend routes (an endpoint's \`route.path\`): the one \`core:endpoint\` module key Forge signs for them,
 * the modules that send there, and the event types their triggers list (null: not a trigger endpoint).
 */
export const FORGE_BACKEND_ROUTES = ${JSON.stringify(rules.backend, null, 2)} as const;
`;
}

/** The table as the manifest at `root` makes it. @param {string} [root] */
export function generatedRouteRules(root = ROOT) {
  return renderRouteRules(routeRules(parse(readFileSync(path.join(root, MANIFEST), 'utf8'))));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const expected = generatedRouteRules();
    const out = path.join(ROOT, OUT);
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // not written yet
    }
    if (process.argv.includes('--check')) {
      if (current !== expected) {
        console.error(`[forge:rules] ${OUT} does not match ${MANIFEST}: run npm run forge:rules and commit the result.`);
        process.exit(1);
      }
      console.log(`[forge:rules] ${OUT} matches ${MANIFEST}`);
    } else {
      writeFileSync(out, expected);
      console.log(`[forge:rules] wrote ${OUT} from ${MANIFEST}`);
    }
  } catch (err) {
    if (!(err instanceof RouteRulesError)) throw err;
    console.error(`[forge:rules] ${MANIFEST}: ${err.message}`);
    process.exit(1);
  }
}
