import { describe, expect, it } from 'vitest';
import { renderDescriptor } from '@/lib/connect/descriptor';
import { descriptorProblems, generalPages, grantedScopes, issuePanels, substituteContext, webhooks } from '../../host/lib/descriptor.mjs';
import { APP_URL, testDescriptor } from './helpers';

describe('descriptor validation', () => {
  it('accepts this repository’s descriptor', () => {
    expect(descriptorProblems(renderDescriptor(APP_URL))).toEqual([]);
  });

  it('accepts a descriptor with issue panels, general pages and webhooks', () => {
    expect(descriptorProblems(testDescriptor())).toEqual([]);
  });

  it('lists every problem, naming the field', () => {
    const problems = descriptorProblems({
      key: 'bad key!', baseUrl: 'ftp://x', authentication: { type: 'none' }, apiMigrations: { 'signed-install': false },
      lifecycle: { installed: 'relative', oops: '/x' }, scopes: ['READ', 'SUPERUSER'],
      modules: { webPanels: [{ key: 'a', url: '/a' }, { key: 'a', location: 'x', name: { value: 'A' }, url: '//evil' }], webhooks: [{ url: '/w' }] },
    });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining('"key"'),
      expect.stringContaining('"name" is required'),
      expect.stringContaining('"baseUrl"'),
      expect.stringContaining('"authentication.type"'),
      expect.stringContaining('"apiMigrations.signed-install"'),
      expect.stringContaining('"apiMigrations.context-qsh"'),
      expect.stringContaining('"lifecycle.installed" must be a path'),
      expect.stringContaining('"lifecycle.oops" is not a lifecycle event'),
      expect.stringContaining('unknown scope "SUPERUSER"'),
      expect.stringContaining('"modules.webPanels[0]".name.value'),
      expect.stringContaining('"modules.webPanels[0]".location'),
      expect.stringContaining('"modules.webPanels[1]".key "a" is used by another module'),
      expect.stringContaining('"modules.webPanels[1]".url'),
      expect.stringContaining('"modules.webhooks[0].event"'),
    ]));
  });

  it('refuses what is not an object', () => expect(descriptorProblems([])).toEqual(['it must be a JSON object']));
});

describe('modules the simulator renders', () => {
  const descriptor = testDescriptor();

  it('issue panels are jiraIssueContents and webPanels on the issue view only', () => {
    expect(issuePanels(descriptor).map((m: { key: string }) => m.key)).toEqual(['content', 'notes-panel']);
  });

  it('general pages and webhooks come as declared', () => {
    expect(generalPages(descriptor)).toEqual([{ key: 'overview', type: 'generalPages', name: 'Overview', url: '/connect/overview' }]);
    expect(webhooks(descriptor)).toEqual([{ event: 'jira:issue_deleted', url: '/api/webhooks/issue-deleted' }]);
  });

  it('scopes imply the lower ones, as in Connect', () => {
    expect([...grantedScopes({ scopes: ['delete', 'ACT_AS_USER'] })].sort()).toEqual(['ACT_AS_USER', 'DELETE', 'READ', 'WRITE']);
  });
});

describe('context variables in module URLs', () => {
  it('are URL-encoded, and unknown ones become empty as in Jira', () => {
    expect(substituteContext('/p?k={issue.key}&s={project.key}&x={no.such}', { 'issue.key': 'A&B 1', 'project.key': 'P' })).toBe('/p?k=A%26B%201&s=P&x=');
  });
});
