/**
 * What the simulator signs must be what the app accepts, and what Atlassian's reference implementation
 * accepts: each token is checked here by the app's own verifiers (lib/connect) and by atlassian-jwt.
 */
import { importSPKI } from 'jose';
import { AsymmetricAlgorithm, createQueryStringHash, decodeAsymmetric, decodeSymmetric, fromMethodAndUrl, SymmetricAlgorithm } from 'atlassian-jwt';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyInstallToken } from '@/lib/connect/install-token';
import { verifyConnectRequest } from '@/lib/connect/jwt';
import { computeQsh } from '@/lib/connect/qsh';
import type { Tenant } from '@/lib/tenants/types';
import { issuePanels } from '../../host/lib/descriptor.mjs';
import { iframeSrc, moduleContext } from '../../host/lib/iframe.mjs';
import { lifecyclePayload } from '../../host/lib/lifecycle.mjs';
import { describeToken, signContextToken, signInstallToken, signRequestToken } from '../../host/lib/tokens.mjs';
import { APP_URL, installDirectly, tempSimulator } from './helpers';

const sim = tempSimulator();
const { site, installation, siteBaseUrl } = installDirectly(sim);
const issue = site.issues[0];
const user = site.users[0];

function tenant(): Tenant {
  const now = new Date();
  return {
    clientKey: installation.clientKey, siteId: installation.clientKey, installationId: null, key: installation.appKey, baseUrl: siteBaseUrl, displayUrl: siteBaseUrl, productType: 'jira', description: '',
    sharedSecret: installation.sharedSecret, oauthClientId: installation.oauthClientId, serverVersion: null, pluginsVersion: null,
    state: 'enabled', installedAt: now, enabledAt: now, disabledAt: null, uninstalledAt: null, updatedAt: now, lastLifecycleIat: null,
  };
}

const appVerifier = { appBaseUrl: APP_URL, getTenant: async (clientKey: string) => (clientKey === installation.clientKey ? tenant() : null) };

describe('signed install tokens', () => {
  const url = `${APP_URL}/installed`;
  let token: string;
  beforeAll(() => {
    token = signInstallToken({ key: sim.key, clientKey: installation.clientKey, appBaseUrl: APP_URL, url });
  });

  it('are accepted by the app’s signed-install verifier with the key served for their kid', async () => {
    const publicKey = await importSPKI(sim.key.publicKeyPem, 'RS256');
    const request = new Request(url, { method: 'POST', headers: { authorization: `JWT ${token}` } });
    const verified = await verifyInstallToken(request, { appBaseUrl: APP_URL, resolveKey: async (kid) => {
      expect(kid).toBe(sim.key.kid);
      return publicKey;
    } });
    expect(verified.clientKey).toBe(installation.clientKey);
  });

  it('are RS256 with a kid, aud the app, qsh for POST <url>, and live three minutes', () => {
    const claims = decodeAsymmetric(token, sim.key.publicKeyPem, AsymmetricAlgorithm.RS256);
    expect(describeToken(token)).toMatchObject({ alg: 'RS256', kid: sim.key.kid });
    expect(claims).toMatchObject({ iss: installation.clientKey, aud: [APP_URL], qsh: createQueryStringHash(fromMethodAndUrl('POST', url), false, APP_URL) });
    expect(claims.exp - claims.iat).toBe(180);
  });

  it('carry a payload the app’s lifecycle validation reads, with the secret only on installed', () => {
    const installed = lifecyclePayload(sim, site, installation, 'installed');
    expect(installed).toMatchObject({ key: installation.appKey, clientKey: installation.clientKey, sharedSecret: installation.sharedSecret, baseUrl: siteBaseUrl, productType: 'jira', eventType: 'installed' });
    expect(installed.sharedSecret.length).toBeGreaterThanOrEqual(44);
    expect(lifecyclePayload(sim, site, installation, 'uninstalled')).not.toHaveProperty('sharedSecret');
  });
});

describe('request tokens (enabled, disabled, webhooks)', () => {
  it('are accepted by the app’s strict verifier for that request only', async () => {
    const url = `${APP_URL}/api/webhooks/issue-deleted`;
    const token = signRequestToken({ clientKey: installation.clientKey, sharedSecret: installation.sharedSecret, method: 'POST', url, appBaseUrl: APP_URL });
    const verified = await verifyConnectRequest(new Request(url, { method: 'POST', headers: { authorization: `JWT ${token}` } }), { mode: 'strict', ...appVerifier });
    expect(verified.tenant.clientKey).toBe(installation.clientKey);
    const elsewhere = new Request(`${APP_URL}/api/webhooks/issue-updated`, { method: 'POST', headers: { authorization: `JWT ${token}` } });
    await expect(verifyConnectRequest(elsewhere, { mode: 'strict', ...appVerifier })).rejects.toMatchObject({ code: 'QSH_MISMATCH' });
  });
});

describe('iframe URLs', () => {
  const panel = issuePanels(installation.descriptor).find((m: { key: string }) => m.key === 'notes-panel');
  const frame = iframeSrc({ site, installation, module: panel, issue, accountId: user.accountId, siteBaseUrl });

  it('carry a page token the app’s strict verifier accepts, naming the user', async () => {
    const verified = await verifyConnectRequest(new Request(frame.src), { mode: 'strict', ...appVerifier });
    expect(verified.userAccountId).toBe(user.accountId);
  });

  it('sign every parameter: the qsh matches both QSH dialects and atlassian-jwt', () => {
    const unsigned = frame.src.replace(/&jwt=[^&]+$/, '');
    const { qsh } = decodeSymmetric(frame.token, installation.sharedSecret, SymmetricAlgorithm.HS256);
    expect(qsh).toBe(computeQsh({ method: 'GET', url: unsigned, baseUrl: APP_URL }, 'spec'));
    expect(qsh).toBe(computeQsh({ method: 'GET', url: unsigned, baseUrl: APP_URL }, 'atlassian-jwt'));
    expect(qsh).toBe(createQueryStringHash(fromMethodAndUrl('GET', unsigned), false, APP_URL));
  });

  it('keep the module’s query as declared, then add the standard Connect parameters in the product’s order', () => {
    const url = new URL(frame.src);
    expect(frame.src.startsWith(`${APP_URL}/connect/issue-notes?issueKey=NOTE-1&projectKey=NOTE&xdm_e=`)).toBe(true);
    expect([...url.searchParams.keys()]).toEqual(['issueKey', 'projectKey', 'xdm_e', 'xdm_c', 'cp', 'xdm_deprecated_addon_key_do_not_use', 'lic', 'cv', 'jwt']);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      xdm_e: sim.config.hostUrl, xdm_c: `channel-${installation.appKey}__notes-panel`, cp: '/sites/acme',
      xdm_deprecated_addon_key_do_not_use: installation.appKey, lic: 'none', cv: '1001.0.0-SNAPSHOT',
    });
    const claims = decodeSymmetric(frame.token, installation.sharedSecret, SymmetricAlgorithm.HS256);
    expect(claims).toMatchObject({ iss: installation.clientKey, sub: user.accountId, context: {} });
    expect(claims.exp - claims.iat).toBe(900);
  });
});

describe('context tokens (AP.context.getToken)', () => {
  const context = moduleContext(site, issue, siteBaseUrl);
  const token = signContextToken({ clientKey: installation.clientKey, sharedSecret: installation.sharedSecret, accountId: user.accountId, context });
  const call = (mode: 'strict' | 'context') => verifyConnectRequest(new Request(`${APP_URL}/api/notes?issueKey=NOTE-1`, { headers: { authorization: `JWT ${token}` } }), { mode, ...appVerifier });

  it('are accepted by the app’s context verifier, with the user and the issue context', async () => {
    const verified = await call('context');
    expect(verified.userAccountId).toBe(user.accountId);
    expect(verified.context).toMatchObject({ jira: { issue: { key: 'NOTE-1', id: '10001' }, project: { key: 'NOTE', id: '10000' } } });
    expect(verified.claims.qsh).toBe('context-qsh');
  });

  it('are refused on a strict route', async () => {
    await expect(call('strict')).rejects.toMatchObject({ code: 'QSH_MISMATCH' });
  });
});
