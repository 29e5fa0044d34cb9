/**
 * Manifest checks: Atlassian's @forge/manifest does the schema and cross-checks; scripts/forge/validate-manifest.ts
 * adds only what it lacks. Each retained rule is shown to be one @forge/manifest accepts on its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderDescriptor } from '@/lib/connect/descriptor';
import { translateDescriptor, type ForgeManifest } from '@/scripts/forge/manifest';
import { manifestProblems, validateManifestFile } from '@/scripts/forge/validate-manifest';

const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';
const ENV = { APP_URL: 'https://notes.example.com', CONNECT_KEY: undefined };
const dir = mkdtempSync(path.join(tmpdir(), 'validate-manifest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function valid(): Record<string, any> {
  const descriptor = renderDescriptor('', {
    ...renderDescriptor(''),
    modules: {
      webPanels: [{ key: 'issue-notes', url: '/connect/issue-notes', location: 'atl.jira.view.issue.right.context', name: { value: 'Notes' } }],
      webhooks: [{ event: 'jira:issue_deleted', url: '/api/webhooks/issue-deleted' }],
    },
  });
  return structuredClone(translateDescriptor(descriptor, { appId: APP_ID }).manifest) as unknown as Record<string, any>;
}

let n = 0;
async function check(change: (m: Record<string, any>) => void = () => {}, env: Record<string, string | undefined> = ENV) {
  const m = valid();
  change(m);
  const file = path.join(dir, `manifest-${n++}.yml`);
  writeFileSync(file, stringify(m));
  return validateManifestFile(file, { env });
}

describe('validateManifestFile: @forge/manifest plus the rules it lacks', () => {
  it('accepts the generated manifest', async () => {
    expect((await check()).errors).toEqual([]);
  }, 60_000);

  it.each<[string, (m: Record<string, any>) => void, string]>([
    ['an unknown top-level property', (m) => { m.connect = {}; }, "should NOT have additional property 'connect'"],
    ['no runtime', (m) => { delete m.app.runtime; }, "must have required property 'runtime'"],
    ['an unknown runtime', (m) => { m.app.runtime.name = 'python3.12'; }, 'allowed values are'],
    ['connectModules without app.connect.remote', (m) => { delete m.app.connect.remote; }, 'app.connect.remote is required'],
    ['app.connect.remote naming no remote', (m) => { m.app.connect.remote = 'elsewhere'; }, "no remote found with key 'elsewhere'"],
    ['a remote key over 23 characters', (m) => { m.remotes[0].key = 'r'.repeat(24); m.app.connect.remote = 'r'.repeat(24); m.permissions.external.fetch.backend[0].remote = 'r'.repeat(24); }, 'must NOT have more than 23 characters'],
    ['storage without inScopeEUD', (m) => { delete m.remotes[0].storage; }, 'storage.inScopeEUD is required'],
    ['a module key used twice', (m) => { m.connectModules['jira:webPanels'][0].key = 'lifecycle-events'; }, "duplicate module key 'lifecycle-events'"],
    ['a connectModules type that does not exist', (m) => { m.connectModules['jira:Web Panels'] = m.connectModules['jira:webPanels']; }, "invalid value 'jira:Web Panels'"],
    ['an invalid Connect key in the environment', (m) => m, "must match pattern"],
  ])('@forge/manifest refuses %s', async (_, change, expected) => {
    const env = expected === 'must match pattern' ? { ...ENV, CONNECT_KEY: 'has spaces' } : ENV;
    expect((await check(change, env)).errors.join('\n')).toContain(expected);
  });

  it('refuses a manifest whose ${APP_URL} the environment does not set, as the Forge CLI does', async () => {
    expect((await check(() => {}, { APP_URL: undefined })).errors.join('\n')).toContain('APP_URL');
  });

  it('substitutes ${APP_URL} before the remote rules: a tunnel on this machine cannot be a remote', async () => {
    expect((await check(() => {}, { APP_URL: 'https://localhost:3000' })).errors.join('\n')).toContain('remotes[0].baseUrl must be a public https URL');
    expect((await check(() => {}, { APP_URL: 'http://notes.example.com' })).errors.join('\n')).toContain('remotes[0].baseUrl');
  });

  it('leaves process.env as it found it', async () => {
    const before = process.env.APP_URL;
    await check(() => {}, { APP_URL: 'https://elsewhere.example.com' });
    expect(process.env.APP_URL).toBe(before);
  });
});

describe('the rules @forge/manifest lacks', () => {
  const deployed = (m: Record<string, any>) => JSON.parse(JSON.stringify(m).replaceAll('${APP_URL}', ENV.APP_URL).replaceAll('${CONNECT_KEY}', 'com.example.connect-next'));
  const broken = (change: (m: Record<string, any>) => void) => {
    const m = deployed(valid());
    change(m);
    return m;
  };

  it('accepts the generated manifest', () => {
    expect(manifestProblems(deployed(valid()))).toEqual([]);
  });

  it.each<[string, (m: Record<string, any>) => void, string]>([
    ['an app id that is not an app ARI', (m) => { m.app.id = 'ari:cloud:ecosystem::installation/406d303d-0393-4ec4-ad7c-1435be94583a'; }, '"app.id" must be'],
    ['the placeholder id of an unregistered app', (m) => { m.app.id = 'ari:cloud:ecosystem::app/invalid-run-forge-register'; }, 'run `forge register` first'],
    ['a Connect module key with a dot', (m) => { m.connectModules['jira:webPanels'][0].key = 'issue.notes'; }, '.key must match'],
    ['a webhook without event', (m) => { delete m.connectModules['jira:webhooks'][0].event; }, 'needs an "event" and a "url"'],
    ['a lifecycle URL that is not a path', (m) => { m.connectModules['jira:lifecycle'][0].installed = 'https://evil.example.com/i'; }, 'must be a path starting with /'],
    ['a loopback remote', (m) => { m.remotes[0].baseUrl = 'https://127.0.0.1:3000'; }, 'public https URL'],
    ['a remote with a query string', (m) => { m.remotes[0].baseUrl = 'https://notes.example.com/?a=1'; }, 'public https URL'],
    ['a scope listed twice', (m) => { m.permissions.scopes.push('read:connect-jira'); }, 'lists a scope twice'],
    ['a system token without its scope', (m) => { m.permissions.scopes = ['read:connect-jira']; }, 'must include read:app-system-token'],
    ['a fetch backend remote without the fetch operation', (m) => { m.remotes[0].operations = ['storage', 'compute']; }, 'must declare the fetch operation'],
  ])('refuses %s', (_, change, expected) => {
    expect(manifestProblems(broken(change)).join('\n')).toContain(expected);
  });

  it.each<[string, (m: Record<string, any>) => void]>([
    ['an app id without a UUID', (m) => { m.app.id = 'ari:cloud:ecosystem::app/not-a-uuid'; }],
    ['a Connect module key with a dot', (m) => { m.connectModules['jira:webPanels'][0].key = 'issue.notes'; }],
    ['a lifecycle URL that is not a path', (m) => { m.connectModules['jira:lifecycle'][0].installed = 'https://evil.example.com/i'; }],
    ['a scope listed twice', (m) => { m.permissions.scopes.push('read:connect-jira'); }],
    ['a system token without its scope', (m) => { m.permissions.scopes = ['read:connect-jira']; }],
  ])('is a rule @forge/manifest does not state: it accepts %s', async (_, change) => {
    const m = valid();
    change(m);
    const file = path.join(dir, `lacks-${n++}.yml`);
    writeFileSync(file, stringify(m));
    const { validate } = await import('@forge/manifest');
    process.env.APP_URL = ENV.APP_URL;
    try {
      expect((await validate(false, file)).errors?.filter((e) => e.level === 'error')).toEqual([]);
    } finally {
      delete process.env.APP_URL;
    }
  });

  it('accepts scopes written as a map (offline user impersonation)', () => {
    expect(manifestProblems(broken((x) => { x.permissions.scopes = { 'read:connect-jira': {}, 'read:app-system-token': { allowImpersonation: false } }; }))).toEqual([]);
  });

  it('accepts region-specific base URLs with a default', () => {
    expect(manifestProblems(broken((x) => { x.remotes[0].baseUrl = { default: 'https://notes.example.com', EU: 'https://eu.notes.example.com' }; }))).toEqual([]);
  });

  it('rejects something that is not a mapping at all', () => {
    expect(manifestProblems([])).toEqual(['the manifest must be a mapping']);
  });
});
