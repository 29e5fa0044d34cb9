/**
 * The simulated authorization server of user impersonation: which assertions buy an access token.
 */
import { encodeSymmetric } from 'atlassian-jwt';
import { describe, expect, it } from 'vitest';
import { JWT_BEARER_GRANT, tokenRequest } from '../../host/lib/oauth.mjs';
import { installDirectly, tempSimulator, testDescriptor } from './helpers';

const sim = tempSimulator();
const { site, installation, siteBaseUrl } = installDirectly(sim);
const user = site.users[1];

function assertion(claims: Record<string, unknown> = {}, secret = installation.sharedSecret) {
  const now = Math.floor(Date.now() / 1000);
  return encodeSymmetric({
    iss: `urn:atlassian:connect:clientid:${installation.oauthClientId}`,
    sub: `urn:atlassian:connect:useraccountid:${user.accountId}`,
    tnt: siteBaseUrl,
    aud: sim.config.hostUrl,
    iat: now,
    exp: now + 60,
    ...claims,
  }, secret);
}

const request = (form: Record<string, string>) => tokenRequest(sim, { grant_type: JWT_BEARER_GRANT, ...form });

describe('POST /oauth2/token (JWT bearer grant)', () => {
  it('issues a Bearer token acting as the user, limited to the scopes asked for', () => {
    const answer = request({ assertion: assertion(), scope: 'READ ACT_AS_USER' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    const grant = sim.accessTokens.lookup(answer.body.access_token);
    expect(grant).toMatchObject({ site: 'acme', appKey: installation.appKey, accountId: user.accountId });
    expect([...grant.scopes].sort()).toEqual(['ACT_AS_USER', 'READ']);
  });

  it.each([
    ['another grant type', { grant_type: 'client_credentials', assertion: assertion() }, 'unsupported_grant_type'],
    ['no assertion', {}, 'invalid_request'],
    ['a wrong signature', { assertion: assertion({}, 'wrong-secret') }, 'invalid_grant'],
    ['an unknown oauthClientId', { assertion: assertion({ iss: 'urn:atlassian:connect:clientid:nobody' }) }, 'invalid_client'],
    ['Atlassian’s audience instead of this server’s', { assertion: assertion({ aud: 'https://oauth-2-authorization-server.services.atlassian.com' }) }, 'invalid_grant'],
    ['another tenant', { assertion: assertion({ tnt: 'https://other.atlassian.net' }) }, 'invalid_grant'],
    ['a sub that is not an account URN', { assertion: assertion({ sub: user.accountId }) }, 'invalid_grant'],
    ['an unknown user', { assertion: assertion({ sub: 'urn:atlassian:connect:useraccountid:nobody' }) }, 'invalid_grant'],
    ['an expired assertion', { assertion: assertion({ exp: Math.floor(Date.now() / 1000) - 120 }) }, 'invalid_grant'],
    ['a scope the app does not have', { assertion: assertion(), scope: 'READ WRITE' }, 'invalid_scope'],
  ])('refuses %s', (_, form, error) => {
    const answer = request(form as Record<string, string>);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.body.error).toBe(error);
  });

  it('refuses an app without the ACT_AS_USER scope', () => {
    const other = tempSimulator();
    const { installation: noImpersonation, siteBaseUrl: base, site: s } = installDirectly(other, testDescriptor({ scopes: ['READ'] }));
    const now = Math.floor(Date.now() / 1000);
    const answer = tokenRequest(other, {
      grant_type: JWT_BEARER_GRANT,
      assertion: encodeSymmetric({
        iss: `urn:atlassian:connect:clientid:${noImpersonation.oauthClientId}`, sub: `urn:atlassian:connect:useraccountid:${s.users[0].accountId}`,
        tnt: base, aud: other.config.hostUrl, iat: now, exp: now + 60,
      }, noImpersonation.sharedSecret),
    });
    expect(answer).toMatchObject({ status: 403, body: { error: 'unauthorized_client' } });
  });
});
