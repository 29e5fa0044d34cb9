/**
 * Each Forge route accepts only the modules forge/manifest.yml routes to it (lib/forge/route-rules.ts), the way
 * each Connect route checks its qsh: a FIT proves Forge signed an invocation of this app, not which endpoint it
 * was meant for, and invokeRemote from the Custom UI reaches any path of the remote.
 *
 * - The committed table (lib/forge/route-rules.generated.ts) is what the manifest makes, and every route under
 *   app/api/forge has its rule: a manifest change that leaves a route without one fails here.
 * - Every route file under app/api/forge, loaded as a fresh server process loads it, on SQLite and PostgreSQL:
 *   the modules routed to it are served; every other module's token (a UI call to the event or uninstall route,
 *   an event's token to the UI API, an unknown or another app's module, an event with a user, an event type no
 *   trigger sends there) is refused with 403 FORGE_MODULE_NOT_ALLOWED, and nothing stored changes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { FORGE_EVENTS_ROUTE, FORGE_HANDLED_EVENT_TYPES, FORGE_UNINSTALL_ROUTE } from '@/lib/forge/events';
import { FORGE_BACKEND_ROUTES, FORGE_UI_MODULES } from '@/lib/forge/route-rules.generated';
import { generatedRouteRules, MANIFEST, OUT, routeRules, RouteRulesError } from '../../scripts/forge/route-rules.mjs';
import { forEachDatabase } from '../helpers/db';
import { disconnectAppDb, useAppEnvironment } from '../notes/helpers';
import { ACCOUNT_ID, APP_ID, OTHER_APP_ID, signFit, signingKey, startJwksServer, type JwksServer, type SigningKey } from './helpers/forge-platform';
import {
  backendFit,
  forgeCall,
  forgeSite,
  GLOBAL_PAGE,
  ISSUE_PANEL,
  siteClaims,
  siteFit,
  UNINSTALL_ENDPOINT,
  type ForgeSite,
} from './helpers/forge-door';

const ROOT = path.resolve(__dirname, '../..');
const manifest = () => parse(readFileSync(path.join(ROOT, MANIFEST), 'utf8'));

/** Every route file under app/api/forge, as the URL path Next serves it at (`[id]` kept). */
function forgeRouteFiles(): { path: string; file: string }[] {
  const base = path.join(ROOT, 'app/api/forge');
  const found: { path: string; file: string }[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === 'route.ts') found.push({ path: `/api/forge/${path.relative(base, dir).split(path.sep).join('/')}`, file: full });
    }
  };
  walk(base);
  return found.sort((a, b) => a.path.localeCompare(b.path));
}

const isBackendRoute = (p: string) => Object.hasOwn(FORGE_BACKEND_ROUTES, p);

describe('the route table is forge/manifest.yml’s', () => {
  it(`${OUT} is what scripts/forge/route-rules.mjs makes from ${MANIFEST} (run npm run forge:rules)`, () => {
    expect(readFileSync(path.join(ROOT, OUT), 'utf8')).toBe(generatedRouteRules(ROOT));
  });

  it('routes events to the events endpoint, the privacy trigger to its endpoint and preUninstall to the uninstall endpoint; the UI modules to the UI API', () => {
    expect(FORGE_BACKEND_ROUTES).toEqual({
      '/api/forge/events': { endpoint: 'forge-events', modules: ['trigger:lifecycle-events', 'trigger:issue-events'], eventTypes: ['avi:forge:installed:app', 'avi:forge:upgraded:app', 'avi:jira:deleted:issue', 'avi:jira:updated:issue'] },
      '/api/forge/privacy-report': { endpoint: 'forge-privacy-report', modules: ['scheduledTrigger:privacy-report'], eventTypes: null },
      '/api/forge/uninstall': { endpoint: 'forge-uninstall', modules: ['preUninstall:pre-uninstall'], eventTypes: null },
    });
    expect(FORGE_UI_MODULES).toEqual([
      { ...ISSUE_PANEL, endpoint: 'notes-ui' },
      { ...GLOBAL_PAGE, endpoint: 'notes-ui' },
    ]);
  });

  it('every backend route of the manifest has a route file, and the app’s event and uninstall routes are backend routes of the manifest', () => {
    const files = forgeRouteFiles().map((r) => r.path);
    for (const route of Object.keys(FORGE_BACKEND_ROUTES)) expect(files).toContain(route);
    expect(isBackendRoute(FORGE_EVENTS_ROUTE)).toBe(true);
    expect(isBackendRoute(FORGE_UNINSTALL_ROUTE)).toBe(true);
    // Every other route file is a UI API route; the behaviour tests below call each one.
    expect(files.filter((p) => !isBackendRoute(p))).toEqual(['/api/forge/issue-details', '/api/forge/notes', '/api/forge/notes/[id]', '/api/forge/whoami']);
  });

  it('the event route applies every event type the manifest’s triggers send it', () => {
    const routed: readonly string[] | null = FORGE_BACKEND_ROUTES[FORGE_EVENTS_ROUTE].eventTypes;
    expect(routed?.length).toBeGreaterThan(0);
    for (const eventType of routed ?? []) expect(FORGE_HANDLED_EVENT_TYPES).toContain(eventType);
  });

  describe('a manifest change changes the rules, or stops the generator with a reason', () => {
    const edited = (edit: (m: any) => void) => {
      const m = manifest();
      edit(m);
      return m;
    };

    it('a trigger dropped: its events are no longer accepted; preUninstall dropped: the uninstall route has no rule', () => {
      const rules = routeRules(edited((m) => {
        m.modules.trigger = m.modules.trigger.filter((t: { key: string }) => t.key !== 'issue-events');
        delete m.modules.preUninstall;
      }));
      expect(rules.backend['/api/forge/events'].eventTypes).toEqual(['avi:forge:installed:app', 'avi:forge:upgraded:app']);
      expect(rules.backend).not.toHaveProperty('/api/forge/uninstall');
    });

    it('an endpoint moved to another path: the old route has no rule (and events.ts no longer compiles)', () => {
      const rules = routeRules(edited((m) => {
        m.modules.endpoint.find((e: { key: string }) => e.key === 'forge-events').route.path = '/api/forge/hooks';
      }));
      expect(Object.keys(rules.backend)).toEqual(['/api/forge/hooks', '/api/forge/privacy-report', '/api/forge/uninstall']);
    });

    it('a UI module added on the UI endpoint is allowed; one served by a Forge function is not', () => {
      const rules = routeRules(edited((m) => {
        m.modules['jira:issueGlance'] = [{ key: 'notes-glance', resolver: { endpoint: 'notes-ui' } }, { key: 'fn-glance', resolver: { function: 'fn' } }];
      }));
      expect(rules.ui.map((u) => `${u.type} ${u.key}`)).toEqual(['jira:issuePanel issue-notes-forge', 'jira:issueGlance notes-glance', 'jira:globalPage notes-overview-forge']);
    });

    it('refuses a trigger on an endpoint without route.path, a UI module on a backend endpoint, two endpoints on one path', () => {
      expect(() => routeRules(edited((m) => m.modules.trigger.push({ key: 'x', endpoint: 'notes-ui', events: ['avi:jira:created:issue'] })))).toThrow(RouteRulesError);
      expect(() => routeRules(edited((m) => (m.modules['jira:globalPage'][0].resolver.endpoint = 'forge-events')))).toThrow(RouteRulesError);
      expect(() => routeRules(edited((m) => (m.modules.endpoint.find((e: { key: string }) => e.key === 'forge-uninstall').route.path = '/api/forge/events')))).toThrow(RouteRulesError);
      expect(() => routeRules(edited((m) => (m.modules['jira:issuePanel'][0].resolver.endpoint = 'nowhere')))).toThrow(RouteRulesError);
    });
  });
});

let key: SigningKey;
let jwks: JwksServer;
beforeAll(async () => {
  key = await signingKey('forge-key-1');
  jwks = await startJwksServer([key.publicJwk]);
});
afterAll(() => jwks.close());

type Handler = (request: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** The tokens of modules Forge would sign for `site`, by name. */
async function tokens(site: ForgeSite) {
  const ui = (module: { type: string; key: string } | undefined, issueKey?: string) => {
    const claims = siteClaims(site, { issueKey });
    const app = { ...(claims.app as Record<string, unknown>), module };
    if (!module) delete app.module;
    return signFit(key, { ...claims, app });
  };
  return {
    allowed: {
      issuePanel: await siteFit(key, site, { issueKey: 'NOTE-1' }),
      globalPage: await siteFit(key, site),
      eventsEndpoint: await backendFit(key, site),
      uninstallEndpoint: await backendFit(key, site, { module: UNINSTALL_ENDPOINT }),
    },
    /** The token Forge signs for each backend route of the manifest: its endpoint's key as core:endpoint. */
    endpoints: Object.fromEntries(
      await Promise.all(Object.entries(FORGE_BACKEND_ROUTES).map(async ([route, rule]) => [route, await backendFit(key, site, { module: { type: 'core:endpoint', key: rule.endpoint } })] as const)),
    ) as Record<string, string>,
    /** Signed by Forge's key for this app, but for no module these routes serve. */
    strangers: {
      'an event with a principal': await backendFit(key, site, { claims: { principal: ACCOUNT_ID } }),
      'the UI endpoint as core:endpoint': await backendFit(key, site, { module: { type: 'core:endpoint', key: 'notes-ui' } }),
      'an unknown endpoint key': await backendFit(key, site, { module: { type: 'core:endpoint', key: 'made-up' } }),
      'an unknown UI module key': await ui({ type: 'jira:issuePanel', key: 'someone-elses-panel' }, 'NOTE-1'),
      'a UI module key under another type': await ui({ type: 'jira:globalPage', key: ISSUE_PANEL.key }),
      'another app’s module (Atlassian’s example)': await ui({ type: 'xen:macro', key: 'forge-remote-app-boot' }),
      'a trigger module key (not the endpoint’s)': await backendFit(key, site, { module: { type: 'trigger', key: 'issue-events' } }),
      'a preUninstall module key': await backendFit(key, site, { module: { type: 'preUninstall', key: 'pre-uninstall' } }),
      'no module': await ui(undefined, 'NOTE-1'),
    },
  };
}

forEachDatabase('Forge routes and the modules they serve', (t) => {
  let routes: { path: string; methods: Partial<Record<(typeof METHODS)[number], Handler>> }[];
  beforeAll(async () => {
    await useAppEnvironment(t);
    vi.stubEnv('FORGE_APP_ID', APP_ID);
    vi.stubEnv('FORGE_JWKS_URL', jwks.url);
    vi.stubEnv('CONNECT_LOG', 'silent');
    routes = [];
    for (const { path: routePath, file } of forgeRouteFiles()) {
      const mod = (await import(file)) as Record<string, Handler>;
      routes.push({ path: routePath, methods: Object.fromEntries(METHODS.filter((m) => typeof mod[m] === 'function').map((m) => [m, mod[m]])) });
    }
  });
  afterAll(async () => {
    await disconnectAppDb();
    vi.unstubAllEnvs();
  });

  const snapshot = async () => ({
    sites: await t.db.site.findMany({ orderBy: { id: 'asc' } }),
    installations: await t.db.forgeInstallation.findMany({ orderBy: { installationId: 'asc' } }),
    notes: await t.db.note.findMany({ orderBy: { id: 'asc' } }),
    deliveries: await t.db.webhookDelivery.count(),
    tenants: await t.db.tenant.count(),
    privacyReports: await t.db.privacyReport.findMany({ orderBy: { siteId: 'asc' } }),
  });
  const route = (p: string) => routes.find((r) => r.path === p)!;
  /** One call of `method` on `routePath` with `fit`, with the body each route takes (a request that would change data if served). */
  const call = (routePath: string, method: (typeof METHODS)[number], fit: string, noteId: string, body?: unknown) => {
    const handler = route(routePath).methods[method]!;
    const url = routePath.replace('[id]', noteId) + (routePath === '/api/forge/notes' || routePath === '/api/forge/issue-details' ? '?issueKey=NOTE-1' : '');
    const defaults: Record<string, unknown> = {
      [FORGE_EVENTS_ROUTE]: { eventType: 'avi:jira:deleted:issue', issue: { id: '10001', key: 'NOTE-1' } },
      [FORGE_UNINSTALL_ROUTE]: { eventType: 'avi:forge:uninstalled:app' },
      '/api/forge/notes': { issueKey: 'NOTE-1', text: 'should not be written' },
    };
    const payload = method === 'GET' || method === 'DELETE' ? undefined : (body ?? defaults[routePath] ?? {});
    return handler(forgeCall(url, fit, { method, body: payload }), { params: Promise.resolve({ id: noteId }) });
  };
  /** A Forge site with its installation (through the event route) and a note of the FIT's user on NOTE-1. */
  const installedSite = async () => {
    const site = forgeSite();
    const fits = await tokens(site);
    expect((await call(FORGE_EVENTS_ROUTE, 'POST', fits.allowed.eventsEndpoint, '', { eventType: 'avi:forge:installed:app' })).status).toBe(204);
    const created = await call('/api/forge/notes', 'POST', fits.allowed.issuePanel, '', { issueKey: 'NOTE-1', text: 'kept' });
    expect(created.status).toBe(201);
    const { note } = (await created.json()) as { note: { id: string } };
    return { site, fits, noteId: note.id };
  };

  it('every route refuses every module it does not serve (403 FORGE_MODULE_NOT_ALLOWED), and nothing stored changes', async () => {
    const { fits, noteId } = await installedSite();
    const before = await snapshot();
    let refusals = 0;
    for (const r of routes) {
      const backend = isBackendRoute(r.path);
      const wrong: Record<string, string> = { ...fits.strangers };
      // Every other backend route's endpoint token (on the UI API: all of them).
      for (const [route, fit] of Object.entries(fits.endpoints)) if (route !== r.path) wrong[`the endpoint of ${route}`] = fit;
      if (backend) {
        wrong['the issue panel (a UI call)'] = fits.allowed.issuePanel;
        wrong['the global page (a UI call)'] = fits.allowed.globalPage;
      }
      for (const method of Object.keys(r.methods) as (typeof METHODS)[number][]) {
        for (const [name, fit] of Object.entries(wrong)) {
          const response = await call(r.path, method, fit, noteId);
          expect([r.path, method, name, response.status]).toEqual([r.path, method, name, 403]);
          expect(await response.json()).toMatchObject({ error: 'FORGE_MODULE_NOT_ALLOWED' });
          refusals++;
        }
      }
    }
    expect(refusals).toBeGreaterThanOrEqual(routes.length * 9);
    expect(await snapshot()).toEqual(before);
  });

  it('a token for another app is refused (401 WRONG_AUDIENCE) on every route, and nothing stored changes', async () => {
    const { site, noteId } = await installedSite();
    const other = await signFit(key, { ...siteClaims(site, { issueKey: 'NOTE-1' }), aud: OTHER_APP_ID });
    const before = await snapshot();
    for (const r of routes) {
      for (const method of Object.keys(r.methods) as (typeof METHODS)[number][]) {
        const response = await call(r.path, method, other, noteId);
        expect([r.path, method, response.status]).toEqual([r.path, method, 401]);
        expect(await response.json()).toMatchObject({ error: 'WRONG_AUDIENCE' });
      }
    }
    expect(await snapshot()).toEqual(before);
  });

  it('the event route refuses an event type no trigger sends it, or none, even with the events endpoint’s token', async () => {
    const { fits, noteId } = await installedSite();
    const before = await snapshot();
    for (const body of [{ eventType: 'avi:jira:created:issue', issue: { id: '10001', key: 'NOTE-1' } }, { eventType: 'avi:forge:uninstalled:app' }, { issue: { id: '10001', key: 'NOTE-1' } }, { eventType: ['avi:jira:deleted:issue'], issue: { id: '10001', key: 'NOTE-1' } }]) {
      const response = await call(FORGE_EVENTS_ROUTE, 'POST', fits.allowed.eventsEndpoint, noteId, body);
      expect([body, response.status]).toEqual([body, 403]);
      expect(await response.json()).toMatchObject({ error: 'FORGE_MODULE_NOT_ALLOWED' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('each route serves the modules routed to it: the UI modules on the UI API, the endpoints on their own routes', async () => {
    const { fits, noteId } = await installedSite();
    for (const fit of [fits.allowed.issuePanel, fits.allowed.globalPage]) {
      expect((await call('/api/forge/whoami', 'GET', fit, noteId)).status).toBe(200);
    }
    expect((await call('/api/forge/notes', 'GET', fits.allowed.issuePanel, noteId)).status).toBe(200);
    expect((await call('/api/forge/notes', 'GET', fits.allowed.globalPage, noteId)).status).toBe(200);
    expect((await call('/api/forge/issue-details', 'GET', fits.allowed.issuePanel, noteId)).status).toBe(200);
    expect((await call('/api/forge/notes', 'POST', fits.allowed.issuePanel, noteId, { issueKey: 'NOTE-1', text: 'second' })).status).toBe(201);
    expect((await call('/api/forge/notes/[id]', 'DELETE', fits.allowed.issuePanel, noteId)).status).toBe(204);
    expect(await t.db.note.count({ where: { text: 'second' } })).toBe(1);
    // The events endpoint's token with an event its triggers list: the issue's notes go.
    expect((await call(FORGE_EVENTS_ROUTE, 'POST', fits.allowed.eventsEndpoint, noteId)).status).toBe(204);
    expect(await t.db.note.count({ where: { text: 'second' } })).toBe(0);
    expect((await call(FORGE_UNINSTALL_ROUTE, 'POST', fits.allowed.uninstallEndpoint, noteId)).status).toBe(204);
    const after = await call('/api/forge/notes', 'GET', fits.allowed.issuePanel, noteId);
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'TENANT_UNINSTALLED' });
  });

  it('an event’s site is the one app.apiBaseUrl names; a context it should not carry is not read', async () => {
    const site = forgeSite();
    const elsewhere = forgeSite();
    const fit = await backendFit(key, site, { claims: { context: { cloudId: elsewhere.cloudId, siteUrl: elsewhere.siteUrl } } });
    expect((await call(FORGE_EVENTS_ROUTE, 'POST', fit, '', { eventType: 'avi:forge:installed:app' })).status).toBe(204);
    expect(await t.db.forgeInstallation.findUniqueOrThrow({ where: { installationId: site.installationId } })).toMatchObject({ cloudId: site.cloudId, siteUrl: null });
    expect(await t.db.site.count({ where: { cloudId: elsewhere.cloudId } })).toBe(0);
  });
});
