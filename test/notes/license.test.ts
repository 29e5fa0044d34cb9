/**
 * License state on the verified caller, and LICENSE_REQUIRED on both doors of the notes API, on SQLite and
 * PostgreSQL: Connect from the context token's signed `context.license.active` (never from an unsigned `lic`
 * on an API call), Forge from the FIT's `app.license.isActive`; an inactive site reads but does not write,
 * and a refused write changes nothing stored.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config';
import { connectLicense } from '@/lib/connect/license';
import { forgeCaller, type ForgeDoorDeps } from '@/lib/forge/caller';
import { createForgeKeySet, type ForgeKeySet } from '@/lib/forge/invocation-token';
import { forgeLicense } from '@/lib/forge/site-claims';
import { authenticateCaller } from '@/lib/http/authenticate';
import { handle } from '@/lib/http/responses';
import { createNote, deleteNote, listNotes, type NoteView } from '@/lib/notes/api';
import { createNotesStore, type NotesStore } from '@/lib/notes/store';
import { createSiteStore } from '@/lib/sites/store';
import type { Tenant } from '@/lib/tenants/types';
import { forEachDatabase, newKey } from '../helpers/db';
import { forgeCall, forgeSite, siteClaims, siteFit, type ForgeSite } from '../forge/helpers/forge-door';
import { APP_ID, signFit, signingKey, startJwksServer, type JwksServer, type SigningKey } from '../forge/helpers/forge-platform';
import { ALICE, APP_URL, NOW, apiRequest, contextToken, installTenant } from './helpers';

describe('Connect: the license a request proves', () => {
  const q = (s: string) => new URLSearchParams(s);

  it('reads the context token’s signed context.license.active', () => {
    expect(connectLicense({ license: { active: true } }, undefined)).toBe('active');
    expect(connectLicense({ license: { active: false } }, undefined)).toBe('inactive');
  });

  it('says nothing when the token has no boolean license claim', () => {
    for (const context of [undefined, null, {}, { license: {} }, { license: { active: 'true' } }, { license: null }]) {
      expect(connectLicense(context, undefined)).toBeUndefined();
    }
  });

  it('reads lic=active|none only from a query the token’s qsh covered (an iframe load)', () => {
    expect(connectLicense({}, q('lic=active'))).toBe('active');
    expect(connectLicense({}, q('lic=none'))).toBe('inactive');
    expect(connectLicense({}, q('lic=ACTIVE'))).toBeUndefined();
    expect(connectLicense({}, q('lic=active&lic=none'))).toBeUndefined();
    expect(connectLicense({}, q(''))).toBeUndefined();
  });

  it('prefers the signed claim to lic (an iframe’s lic is stale once the license changes)', () => {
    expect(connectLicense({ license: { active: false } }, q('lic=active'))).toBe('inactive');
    expect(connectLicense({ license: { active: true } }, q('lic=none'))).toBe('active');
  });
});

describe('Forge: the license a FIT proves', () => {
  it('is app.license.isActive, and undefined where the FIT has no license (development, staging, free apps)', () => {
    expect(forgeLicense({ isActive: true, type: 'commercial', isEvaluation: false })).toBe('active');
    expect(forgeLicense({ isActive: false, type: 'commercial', isEvaluation: true })).toBe('inactive');
    expect(forgeLicense(undefined)).toBeUndefined();
    expect(forgeLicense({ isActive: 'true' })).toBeUndefined();
    expect(forgeLicense({})).toBeUndefined();
  });
});

describe('LICENSE_REQUIRED in the configuration', () => {
  const env = { NODE_ENV: 'test', DATABASE_URL: 'file:./x.db', ENCRYPTION_KEY: newKey() };
  it('is off unless set to true; a typo is an error, not a silently disabled check', () => {
    expect(parseConfig(env).licenseRequired).toBe(false);
    expect(parseConfig({ ...env, LICENSE_REQUIRED: 'false' }).licenseRequired).toBe(false);
    expect(parseConfig({ ...env, LICENSE_REQUIRED: 'true' }).licenseRequired).toBe(true);
    for (const typo of ['yes', '1', 'TRUE', 'on']) expect(() => parseConfig({ ...env, LICENSE_REQUIRED: typo })).toThrow(/LICENSE_REQUIRED must be true or false/);
  });
});

let key: SigningKey;
let jwks: JwksServer;
let keys: ForgeKeySet;
beforeAll(async () => {
  key = await signingKey('forge-key-license');
  jwks = await startJwksServer([key.publicJwk]);
  keys = createForgeKeySet({ jwksUrl: jwks.url, cooldownMs: 0, timeoutMs: 2000 });
});
afterAll(() => jwks.close());

forEachDatabase('LICENSE_REQUIRED on both doors', (t) => {
  let notes: NotesStore;
  let tenant: Tenant;
  let site: ForgeSite;
  beforeEach(async () => {
    notes = createNotesStore(t.db);
    tenant = await installTenant(t);
    site = forgeSite();
  });

  const rows = () => t.db.note.findMany({ orderBy: { id: 'asc' } });
  const issueContext = (license: unknown) => ({ ...(license === undefined ? {} : { license }), jira: { issue: { key: 'NOTE-1', id: '10001' }, project: { key: 'NOTE', id: '10000' } } });

  const connect = (licenseRequired: boolean) => {
    const caller = (request: Request) => authenticateCaller(request, { store: t.store, appBaseUrl: APP_URL, now: NOW });
    const token = (license: unknown) => contextToken(tenant, { sub: ALICE, context: issueContext(license) });
    return {
      list: (license: unknown, query = '?issueKey=NOTE-1') => {
        const request = apiRequest(`/api/notes${query}`, { token: token(license) });
        return handle(async () => listNotes(await caller(request), request, { notes, licenseRequired }));
      },
      create: (license: unknown, query = '') => {
        const request = apiRequest(`/api/notes${query}`, { method: 'POST', token: token(license), body: { issueKey: 'NOTE-1', text: 'hello' } });
        return handle(async () => createNote(await caller(request), request, { notes, licenseRequired }));
      },
      remove: (license: unknown, id: string) => {
        const request = apiRequest(`/api/notes/${id}`, { method: 'DELETE', token: token(license) });
        return handle(async () => deleteNote(await caller(request), id, { notes, licenseRequired }));
      },
    };
  };

  const forge = (licenseRequired: boolean) => {
    const deps = (): ForgeDoorDeps => ({ verify: { appId: APP_ID, keys }, sites: createSiteStore(t.db) });
    const fit = (license: unknown, environment = 'PRODUCTION') => {
      const claims = siteClaims(site, { principal: ALICE, issueKey: 'NOTE-1' });
      const app = claims.app as Record<string, unknown>;
      claims.app = { ...app, environment: { ...(app.environment as object), type: environment }, ...(license === undefined ? {} : { license }) };
      return signFit(key, claims);
    };
    return {
      fit,
      list: async (license: unknown) => {
        const request = forgeCall('/api/forge/notes?issueKey=NOTE-1', await fit(license));
        return handle(async () => listNotes((await forgeCaller(request, deps())).caller, request, { notes, licenseRequired }));
      },
      create: async (license: unknown, environment?: string) => {
        const request = forgeCall('/api/forge/notes', await fit(license, environment), { body: { issueKey: 'NOTE-1', text: 'hello' } });
        return handle(async () => createNote((await forgeCaller(request, deps())).caller, request, { notes, licenseRequired }));
      },
      remove: async (license: unknown, id: string) => {
        const request = forgeCall(`/api/forge/notes/${id}`, await fit(license), { method: 'DELETE' });
        return handle(async () => deleteNote((await forgeCaller(request, deps())).caller, id, { notes, licenseRequired }));
      },
    };
  };

  async function expectLicenseRequired(response: Promise<Response>) {
    const before = await rows();
    const res = await response;
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: 'LICENSE_REQUIRED', message: expect.stringMatching(/license .* is not active/) });
    expect(await rows()).toEqual(before);
  }

  it('Connect: an inactive license (context.license.active false) may read, and says why it may not write', async () => {
    await notes.create(tenant.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'kept' });
    const res = await connect(true).list({ active: false });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { notes: NoteView[]; readOnly?: { code: string } };
    expect(body.notes.map((n) => n.text)).toEqual(['kept']);
    expect(body.readOnly).toMatchObject({ code: 'LICENSE_REQUIRED' });
  });

  it('Connect: an inactive license may neither add nor delete (403 LICENSE_REQUIRED, nothing changed)', async () => {
    const note = await notes.create(tenant.siteId, { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'kept' });
    await expectLicenseRequired(connect(true).create({ active: false }));
    await expectLicenseRequired(connect(true).remove({ active: false }, note.id));
  });

  it('Connect: an unsigned ?lic=active on the API call does not lift the refusal', async () => {
    await expectLicenseRequired(connect(true).create({ active: false }, '?lic=active'));
  });

  it('Connect: an active license, or a token that says nothing, writes; and so does any site with LICENSE_REQUIRED off', async () => {
    expect((await connect(true).create({ active: true })).status).toBe(201);
    expect((await connect(true).create(undefined)).status).toBe(201);
    expect((await connect(false).create({ active: false })).status).toBe(201);
    const listed = (await (await connect(true).list({ active: true })).json()) as { readOnly?: unknown };
    expect(listed.readOnly).toBeUndefined();
    expect(((await (await connect(false).list({ active: false })).json()) as { readOnly?: unknown }).readOnly).toBeUndefined();
  });

  it('Forge: app.license.isActive false may read, says why, and may neither add nor delete', async () => {
    const note = await notes.create((await createSiteStore(t.db).resolveForgeInstallation({ installationId: site.installationId, cloudId: site.cloudId, siteUrl: site.siteUrl })).siteId,
      { issueKey: 'NOTE-1', projectKey: 'NOTE', authorAccountId: ALICE, text: 'kept' });
    const inactive = { isActive: false, type: 'commercial', isEvaluation: false };
    const res = await forge(true).list(inactive);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { notes: NoteView[]; readOnly?: { code: string } };
    expect(body.notes.map((n) => n.text)).toEqual(['kept']);
    expect(body.readOnly).toMatchObject({ code: 'LICENSE_REQUIRED' });
    await expectLicenseRequired(forge(true).create(inactive));
    await expectLicenseRequired(forge(true).remove(inactive, note.id));
  });

  it('Forge: an active license writes, and so does a development FIT without app.license', async () => {
    expect((await forge(true).create({ isActive: true, type: 'commercial', isEvaluation: true })).status).toBe(201);
    expect((await forge(true).create(undefined, 'DEVELOPMENT')).status).toBe(201);
    expect((await forge(false).create({ isActive: false })).status).toBe(201);
  });

  it('Forge: the caller carries the FIT’s license state', async () => {
    const deps: ForgeDoorDeps = { verify: { appId: APP_ID, keys }, sites: createSiteStore(t.db) };
    const state = async (license: unknown) => (await forgeCaller(forgeCall('/api/forge/notes', await forge(true).fit(license)), deps)).caller.license;
    expect(await state({ isActive: true })).toBe('active');
    expect(await state({ isActive: false })).toBe('inactive');
    expect(await state(undefined)).toBeUndefined();
    // The helper that signs ordinary FITs leaves app.license out, as Forge does outside production.
    const plain = await siteFit(key, site);
    expect((await forgeCaller(forgeCall('/api/forge/notes', plain), deps)).caller.license).toBeUndefined();
  });
});
