import { describe, expect, it } from 'vitest';
import { renderDescriptor } from '@/lib/connect/descriptor';
import { translateDescriptor, type ForgeManifest } from '@/lib/forge/manifest';
import { manifestProblems } from '@/lib/forge/validate-manifest';

const APP_ID = 'ari:cloud:ecosystem::app/406d303d-0393-4ec4-ad7c-1435be94583a';

function valid(): ForgeManifest {
  const descriptor = renderDescriptor('https://notes.example.com', {
    ...renderDescriptor('https://notes.example.com'),
    modules: { webPanels: [{ key: 'issue-notes', url: '/connect/issue-notes', location: 'atl.jira.view.issue.right.context' }] },
  });
  return structuredClone(translateDescriptor(descriptor, { appId: APP_ID }).manifest);
}

/** A valid manifest with one change, for one rule at a time. */
function broken(change: (m: Record<string, any>) => void): unknown {
  const m = valid() as unknown as Record<string, any>;
  change(m);
  return m;
}

describe('manifest structure', () => {
  it('accepts the generated manifest', () => {
    expect(manifestProblems(valid())).toEqual([]);
  });

  it.each<[string, (m: Record<string, any>) => void, string]>([
    ['an unknown top-level property', (m) => { m.connect = {}; }, '"connect" is not a manifest property'],
    ['no app', (m) => { delete m.app; }, '"app" is required'],
    ['an app id that is not an app ARI', (m) => { m.app.id = 'ari:cloud:ecosystem::installation/406d303d-0393-4ec4-ad7c-1435be94583a'; }, '"app.id"'],
    ['the placeholder id of an unregistered app', (m) => { m.app.id = 'ari:cloud:ecosystem::app/invalid-run-forge-register'; }, '"app.id"'],
    ['no runtime', (m) => { delete m.app.runtime; }, '"app.runtime.name"'],
    ['connectModules without app.connect', (m) => { delete m.app.connect; }, '"app.connect" is required'],
    ['an invalid Connect key', (m) => { m.app.connect.key = 'has spaces'; }, '"app.connect.key"'],
    ['connectModules without app.connect.remote', (m) => { delete m.app.connect.remote; }, '"app.connect.remote" is required'],
    ['app.connect.remote naming no remote', (m) => { m.app.connect.remote = 'elsewhere'; }, 'must be the key of an entry in "remotes"'],
    ['neither modules nor connectModules', (m) => { delete m.connectModules; delete m.app.connect.remote; }, '"modules" is required'],
    ['empty modules', (m) => { m.modules = {}; }, '"modules" must be a non-empty mapping'],
    ['a module type that is not <product>:<type>', (m) => { m.connectModules.webPanels = m.connectModules['jira:webPanels']; }, 'module types are <product>:<Connect module type>'],
    ['an empty module list', (m) => { m.connectModules['jira:webPanels'] = []; }, 'must be a non-empty list'],
    ['a module key with a dot', (m) => { m.connectModules['jira:webPanels'][0].key = 'issue.notes'; }, '.key must match'],
    ['a module without key', (m) => { delete m.connectModules['jira:webPanels'][0].key; }, '.key must match'],
    ['a module key used twice', (m) => { m.connectModules['jira:webPanels'][0].key = 'lifecycle-events'; }, 'is used twice'],
    ['a webhook without event', (m) => { m.connectModules['jira:webhooks'] = [{ key: 'w', url: '/w' }]; }, 'needs an "event" and a "url"'],
    ['a lifecycle URL that is not a path', (m) => { m.connectModules['jira:lifecycle'][0].installed = 'https://evil.example.com/i'; }, 'must be a path starting with /'],
    ['remotes that are not a list', (m) => { m.remotes = { key: 'connect' }; }, '"remotes" must be a list'],
    ['a remote key over 23 characters', (m) => { m.remotes[0].key = 'r'.repeat(24); m.app.connect.remote = 'r'.repeat(24); }, 'at most 23 characters'],
    ['a plain http remote', (m) => { m.remotes[0].baseUrl = 'http://notes.example.com'; }, 'public https URL'],
    ['a loopback remote', (m) => { m.remotes[0].baseUrl = 'https://localhost:3000'; }, 'public https URL'],
    ['an unknown operation', (m) => { m.remotes[0].operations = ['compute', 'mine']; }, 'operations may only contain'],
    ['storage without inScopeEUD', (m) => { delete m.remotes[0].storage; }, 'storage.inScopeEUD is required'],
    ['an unknown remote token', (m) => { m.remotes[0].auth = { appAdminToken: { enabled: true } }; }, 'is not a Forge token'],
    ['no permissions', (m) => { delete m.permissions; }, '"permissions" is required'],
    ['scopes that are not a list', (m) => { m.permissions.scopes = 'read:connect-jira'; }, 'must be a list of scope names'],
    ['a scope listed twice', (m) => { m.permissions.scopes.push('read:connect-jira'); }, 'lists a scope twice'],
    ['a system token without its scope', (m) => { m.permissions.scopes = ['read:connect-jira']; }, 'must include read:app-system-token'],
    ['a fetch backend naming no remote', (m) => { m.permissions.external.fetch.backend = [{ remote: 'nowhere' }]; }, 'must be the key of an entry in "remotes"'],
    ['a fetch backend remote without the fetch operation', (m) => { m.remotes[0].operations = ['storage', 'compute']; }, 'must declare the fetch operation'],
    ['a fetch backend domain with invalid characters', (m) => { m.permissions.external.fetch.backend = ['https://exa mple.com']; }, 'is not a valid domain'],
  ])('rejects %s', (_, change, expected) => {
    const problems = manifestProblems(broken(change));
    expect(problems.join('\n')).toContain(expected);
  });

  it('accepts scopes written as a map (offline user impersonation)', () => {
    const m = broken((x) => { x.permissions.scopes = { 'read:connect-jira': {}, 'read:app-system-token': { allowImpersonation: false } }; });
    expect(manifestProblems(m)).toEqual([]);
  });

  it('accepts region-specific base URLs with a default', () => {
    const m = broken((x) => { x.remotes[0].baseUrl = { default: 'https://notes.example.com', EU: 'https://eu.notes.example.com' }; });
    expect(manifestProblems(m)).toEqual([]);
  });

  it('rejects something that is not a mapping at all', () => {
    expect(manifestProblems([])).toEqual(['the manifest must be a mapping']);
  });
});
