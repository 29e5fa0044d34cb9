import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseHostConfig } from '../../host/lib/config.mjs';
import { Simulator } from '../../host/lib/simulator.mjs';

export const APP_URL = 'https://app.example.com';
export const APP_KEY = 'com.example.test-app';

/** A simulator on a fresh data directory (nothing listens: tests call its functions). */
export function tempSimulator(env: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'connect-host-test-'));
  return new Simulator(parseHostConfig({ HOST_DATA_DIR: dir, HOST_LOG: 'silent', HOST_PORT: '4999', APP_URL, ...env }, dir));
}

export function testDescriptor(overrides: Record<string, unknown> = {}) {
  return {
    key: APP_KEY,
    name: 'Test app',
    baseUrl: APP_URL,
    authentication: { type: 'jwt' },
    apiMigrations: { 'context-qsh': true, 'signed-install': true },
    lifecycle: { installed: '/installed', uninstalled: '/uninstalled', enabled: '/enabled', disabled: '/disabled' },
    scopes: ['READ', 'ACT_AS_USER'],
    modules: {
      webPanels: [
        { key: 'notes-panel', location: 'atl.jira.view.issue.right.context', name: { value: 'Notes' }, url: '/connect/issue-notes?issueKey={issue.key}&projectKey={project.key}' },
        { key: 'elsewhere', location: 'atl.admin.menu', name: { value: 'Not on the issue view' }, url: '/admin' },
      ],
      jiraIssueContents: [{ key: 'content', name: { value: 'Content' }, target: { type: 'web_panel', url: '/content?id={issue.id}' } }],
      generalPages: [{ key: 'overview', name: { value: 'Overview' }, url: '/connect/overview' }],
      webhooks: [{ event: 'jira:issue_deleted', url: '/api/webhooks/issue-deleted' }],
    },
    ...overrides,
  };
}

/** Records an enabled installation without any HTTP (what a successful install leaves behind). */
export function installDirectly(sim: any, descriptor: Record<string, any> = testDescriptor()) {
  const site = sim.store.getSite('acme');
  const now = new Date().toISOString();
  const installation = {
    appKey: descriptor.key,
    appName: descriptor.name,
    descriptorUrl: `${descriptor.baseUrl}/atlassian-connect.json`,
    descriptor,
    clientKey: randomUUID(),
    sharedSecret: randomBytes(33).toString('base64url'),
    oauthClientId: randomBytes(24).toString('base64url'),
    installationId: `ari:cloud:ecosystem::installation/${randomUUID()}`,
    state: 'enabled',
    installedAt: now,
    updatedAt: now,
    lastError: null,
  };
  site.installations[descriptor.key] = installation;
  sim.store.save();
  return { site, installation, siteBaseUrl: `${sim.config.hostUrl}/sites/acme` };
}
