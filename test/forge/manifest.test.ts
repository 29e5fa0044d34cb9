import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderDescriptor, type Descriptor } from '@/lib/connect/descriptor';
import { GENERATED_HEADER } from '@/scripts/forge/manifest-command';
import { translateDescriptor, type ManifestOptions } from '@/scripts/forge/manifest';
import { manifestProblems } from '@/scripts/forge/validate-manifest';

const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';
const APP_URL = 'https://notes.example.com';
const fixture = JSON.parse(readFileSync(new URL('./fixtures/descriptor.json', import.meta.url), 'utf8'));
const expectedYaml = readFileSync(new URL('./fixtures/manifest.expected.yml', import.meta.url), 'utf8');

const descriptor = (source: unknown = fixture) => renderDescriptor(APP_URL, source);
const translate = (d: Descriptor = descriptor(), options: Partial<ManifestOptions> = {}) => translateDescriptor(d, { appId: APP_ID, ...options });
/** The manifest as the Forge CLI reads it after substituting its variables: what manifestProblems checks. */
const deployed = (m: unknown) => JSON.parse(JSON.stringify(m).replaceAll('${APP_URL}', APP_URL).replaceAll('${CONNECT_KEY}', 'com.example.connect-next'));
const withModules = (modules: Record<string, unknown>, extra: Record<string, unknown> = {}) => descriptor({ ...fixture, ...extra, modules });

describe('Connect-on-Forge manifest from the sample descriptor', () => {
  const { manifest, warnings } = translate();

  it('serialises to the reviewed manifest.expected.yml, byte for byte', () => {
    expect(`${GENERATED_HEADER}\n${YAML.stringify(manifest, { lineWidth: 0 })}`).toBe(expectedYaml);
  });

  it('the reviewed YAML parses back to exactly the manifest object', () => {
    expect(YAML.parse(expectedYaml)).toEqual(manifest);
  });

  it('is structurally valid', () => {
    expect(manifestProblems(deployed(manifest))).toEqual([]);
    expect(manifestProblems(deployed(YAML.parse(expectedYaml)))).toEqual([]);
  });

  it('registers the Connect key under app.connect, pointing at the remote that holds the Connect baseUrl', () => {
    expect(manifest.app).toMatchObject({ id: APP_ID, connect: { key: '${CONNECT_KEY}', remote: 'connect' }, runtime: { name: 'nodejs24.x' } });
    expect(manifest.remotes).toEqual([expect.objectContaining({ key: 'connect', baseUrl: '${APP_URL}' })]);
    expect(manifest.environment.variables).toEqual([{ key: 'CONNECT_KEY', default: 'com.example.connect-next' }, 'APP_URL']);
  });

  it('declares why Forge talks to the remote: stored End-User Data, invokeRemote, fetch', () => {
    expect(manifest.remotes[0]).toMatchObject({ operations: ['storage', 'compute', 'fetch'], storage: { inScopeEUD: true }, auth: { appSystemToken: { enabled: true } } });
    expect(manifest.permissions.external).toEqual({ fetch: { backend: [{ remote: 'connect' }] } });
  });

  it('names Connect scopes the Forge way and asks for the system token scope the remote auth needs', () => {
    expect(manifest.permissions.scopes).toEqual(['read:connect-jira', 'act-as-user:connect-jira', 'read:app-system-token']);
  });

  it('moves the lifecycle callbacks into a jira:lifecycle module', () => {
    expect(manifest.connectModules['jira:lifecycle']).toEqual([{
      key: 'lifecycle-events',
      installed: '/api/lifecycle/installed',
      uninstalled: '/api/lifecycle/uninstalled',
      enabled: '/api/lifecycle/enabled',
      disabled: '/api/lifecycle/disabled',
    }]);
  });

  it('carries the issue panel and the general page as they are, context parameters included', () => {
    expect(manifest.connectModules['jira:webPanels']).toEqual([fixture.modules.webPanels[0]]);
    expect(manifest.connectModules['jira:webPanels'][0].url).toBe('/connect/issue-notes?issueKey={issue.key}&projectKey={project.key}');
    expect(manifest.connectModules['jira:generalPages']).toEqual(fixture.modules.generalPages);
  });

  it('gives each webhook the module key Forge requires, derived from its event', () => {
    expect(manifest.connectModules['jira:webhooks']).toEqual([
      { key: 'webhook-jira-issue_deleted', event: 'jira:issue_deleted', url: '/api/webhooks/issue-deleted', excludeBody: false },
      { key: 'webhook-jira-issue_updated', event: 'jira:issue_updated', url: '/api/webhooks/issue-updated' },
    ]);
  });

  it('warns that enabled and disabled stop arriving, and installed skips automatic updates, and nothing else', () => {
    expect(warnings.map((w) => [w.code, w.subject])).toEqual([
      ['BEHAVIOUR_CHANGES', 'lifecycle.enabled'],
      ['BEHAVIOUR_CHANGES', 'lifecycle.disabled'],
      ['BEHAVIOUR_CHANGES', 'lifecycle.installed'],
    ]);
  });
});

describe('descriptor translation rules', () => {
  it('the committed atlassian-connect.json translates to a valid manifest with nothing left behind', () => {
    const { manifest, warnings } = translate(renderDescriptor(APP_URL));
    expect(manifestProblems(deployed(manifest))).toEqual([]);
    expect(warnings.filter((w) => w.code !== 'BEHAVIOUR_CHANGES')).toEqual([]);
  });

  it('keeps module keys unique across webhooks on the same event', () => {
    const { manifest } = translate(withModules({
      webhooks: [
        { event: 'jira:issue_created', url: '/a' },
        { event: 'jira:issue_created', url: '/b', filter: 'project = NOTES' },
      ],
    }));
    expect(manifest.connectModules['jira:webhooks'].map((w) => w.key)).toEqual(['webhook-jira-issue_created', 'webhook-jira-issue_created-2']);
    expect(manifestProblems(deployed(manifest))).toEqual([]);
  });

  it('does not carry modules Forge needs as native modules, and says so', () => {
    const { manifest, warnings } = translate(withModules({ jiraGlobalPermissions: [{ key: 'notes-admin', name: { value: 'Notes admin' } }] }));
    expect(manifest.connectModules['jira:jiraGlobalPermissions']).toBeUndefined();
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'MODULE_NOT_CARRIED', subject: 'modules.jiraGlobalPermissions' }));
    expect(warnings.find((w) => w.subject === 'modules.jiraGlobalPermissions')?.message).toContain('jira:globalPermission');
  });

  it.each([
    ['no key', { url: '/p' }],
    ['a key with characters Forge rejects', { key: 'notes.panel', url: '/p' }],
    ['not an object', 'panel'],
  ])('refuses a module entry with %s, with a warning naming it', (_, entry) => {
    const { manifest, warnings } = translate(withModules({ webPanels: [entry, { key: 'ok', url: '/ok', location: 'x' }] }));
    expect(manifest.connectModules['jira:webPanels']).toEqual([{ key: 'ok', url: '/ok', location: 'x' }]);
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'MODULE_NOT_CARRIED', subject: 'modules.webPanels[0]' }));
  });

  it('refuses a second module with the same key: keys are unique within a manifest', () => {
    const { manifest, warnings } = translate(withModules({ webPanels: [{ key: 'notes', url: '/a' }], generalPages: [{ key: 'notes', url: '/b' }] }));
    expect(manifest.connectModules['jira:generalPages']).toBeUndefined();
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'MODULE_NOT_CARRIED', subject: 'modules.generalPages[0]' }));
  });

  it('refuses a webhook without event or url', () => {
    const { warnings } = translate(withModules({ webhooks: [{ url: '/x' }] }));
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'MODULE_NOT_CARRIED', subject: 'modules.webhooks[0]' }));
  });

  it('wraps a single-object module in a list, as connectModules holds lists', () => {
    const { manifest } = translate(withModules({ jiraIssueContents: { key: 'notes-content', target: { type: 'web_panel', url: '/c' } } }));
    expect(manifest.connectModules['jira:jiraIssueContents']).toEqual([{ key: 'notes-content', target: { type: 'web_panel', url: '/c' } }]);
  });

  it('accounts for every module entry: carried over, or named in a warning', () => {
    const modules = {
      webPanels: [{ key: 'a', url: '/a' }, { url: '/no-key' }],
      generalPages: [{ key: 'a', url: '/dup' }, { key: 'b', url: '/b' }],
      jiraProjectPermissions: [{ key: 'p' }],
      webhooks: [{ event: 'jira:issue_created', url: '/w' }, {}],
    };
    const { manifest, warnings } = translate(withModules(modules));
    const total = Object.values(modules).reduce((n, list) => n + list.length, 0);
    const carried = Object.entries(manifest.connectModules).filter(([t]) => t !== 'jira:lifecycle').reduce((n, [, list]) => n + list.length, 0);
    const refused = warnings.filter((w) => w.code === 'MODULE_NOT_CARRIED').reduce((n, w) => n + (/\[\d+\]$/.test(w.subject) ? 1 : modules[w.subject.slice('modules.'.length) as keyof typeof modules].length), 0);
    expect(carried + refused).toBe(total);
  });

  it('warns about descriptor fields with behaviour the manifest does not carry, not about listing metadata', () => {
    const { warnings } = translate(descriptor({ ...fixture, translations: { paths: { en: '/i18n/en.json' } }, cloudAppMigration: { migrationWebhookPath: '/m' } }));
    expect(warnings.filter((w) => w.code === 'FIELD_NOT_CARRIED').map((w) => w.subject)).toEqual(['translations', 'cloudAppMigration']);
  });

  it('does not carry the data-residency migration hook, and says so', () => {
    const { manifest, warnings } = translate(descriptor({ ...fixture, lifecycle: { ...fixture.lifecycle, 'dare-migration': '/dare' } }));
    expect(manifest.connectModules['jira:lifecycle'][0]).not.toHaveProperty('dare-migration');
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'FIELD_NOT_CARRIED', subject: 'lifecycle.dare-migration' }));
  });

  it('refuses a scope that is not a Connect scope', () => {
    const { manifest, warnings } = translate(descriptor({ ...fixture, scopes: ['READ', 'read:jira-work'] }));
    expect(manifest.permissions.scopes).toEqual(['read:connect-jira', 'read:app-system-token']);
    expect(warnings).toContainEqual(expect.objectContaining({ code: 'SCOPE_NOT_CARRIED', subject: 'scopes.read:jira-work' }));
  });

  it('lists a scope once even when the descriptor repeats it', () => {
    expect(translate(descriptor({ ...fixture, scopes: ['READ', 'READ'] })).manifest.permissions.scopes).toEqual(['read:connect-jira', 'read:app-system-token']);
  });

  it('maps every Connect scope', () => {
    const scopes = ['READ', 'WRITE', 'DELETE', 'PROJECT_ADMIN', 'ADMIN', 'ACT_AS_USER', 'ACCESS_EMAIL_ADDRESSES'];
    const { manifest } = translate(descriptor({ ...fixture, scopes }), { appSystemToken: false });
    expect(manifest.permissions.scopes).toEqual([
      'read:connect-jira', 'write:connect-jira', 'delete:connect-jira', 'project-admin:connect-jira',
      'admin:connect-jira', 'act-as-user:connect-jira', 'access-email-addresses:connect-jira',
    ]);
  });

  it('keeps a paid app paid and a free app free (enableLicensing → app.licensing.enabled)', () => {
    expect(translate(descriptor({ ...fixture, enableLicensing: true })).manifest.app.licensing).toEqual({ enabled: true });
    expect(translate(descriptor({ ...fixture, enableLicensing: false })).manifest.app.licensing).toEqual({ enabled: false });
    expect(translate().manifest.app.licensing).toBeUndefined();
  });

  it('prefixes module types with the product', () => {
    const { manifest } = translate(descriptor(), { product: 'confluence' });
    expect(Object.keys(manifest.connectModules)).toEqual(['confluence:lifecycle', 'confluence:webPanels', 'confluence:generalPages', 'confluence:webhooks']);
    expect(manifest.permissions.scopes[0]).toBe('read:connect-confluence');
  });

  it('drops the fetch permission and the storage declaration when those operations are not wanted', () => {
    const { manifest } = translate(descriptor(), { operations: ['compute'], appSystemToken: false, appUserToken: true });
    expect(manifest.remotes[0]).toEqual({ key: 'connect', baseUrl: '${APP_URL}', operations: ['compute'], auth: { appUserToken: { enabled: true } } });
    expect(manifest.permissions.external).toBeUndefined();
    expect(manifest.permissions.scopes).toContain('read:app-user-token');
    expect(manifestProblems(deployed(manifest))).toEqual([]);
  });

  it('does not change the descriptor it reads, nor share objects with it', () => {
    const d = descriptor();
    const before = JSON.stringify(d);
    const { manifest } = translate(d);
    expect(JSON.stringify(d)).toBe(before);
    (manifest.connectModules['jira:webPanels'][0].name as { value: string }).value = 'changed';
    expect(JSON.stringify(d)).toBe(before);
  });
});
