/**
 * How the simulated product checks the JWT of an app's REST call: the rules of the real product,
 * checked with tokens built by atlassian-jwt as an app built on atlassian-connect-express signs them.
 */
import { createQueryStringHash, encodeSymmetric, fromMethodAndUrl } from 'atlassian-jwt';
import { describe, expect, it } from 'vitest';
import { signContextToken } from '../../host/lib/tokens.mjs';
import { AuthError, credentialsOf, verifyAppToken } from '../../host/lib/verify.mjs';
import { APP_KEY, installDirectly, tempSimulator } from './helpers';

const sim = tempSimulator();
const { site, installation, siteBaseUrl } = installDirectly(sim);
const url = new URL(`${siteBaseUrl}/rest/api/3/issue/NOTE-1?fields=summary`);

function sign(claims: Record<string, unknown> = {}, { secret = installation.sharedSecret, signedUrl = url.toString(), method = 'GET' } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const qsh = createQueryStringHash(fromMethodAndUrl(method, signedUrl), false, siteBaseUrl);
  const payload: Record<string, unknown> = { iss: APP_KEY, iat: now, exp: now + 60, qsh, ...claims };
  for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
  return encodeSymmetric(payload, secret);
}

function verify(token: string, method = 'GET') {
  return verifyAppToken(token, { method, url, siteBaseUrl, findInstallation: (key: string) => site.installations[key] });
}

function code(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return (err as { code: string }).code;
  }
  throw new Error('expected the token to be refused');
}

describe('app JWTs on product REST calls', () => {
  it('accepts HS256 with the shared secret, iss = app key and the qsh of this request relative to the site base URL', () => {
    expect(verify(sign()).installation.appKey).toBe(APP_KEY);
  });

  it('hashes the path without the site prefix, so one port can serve several sites', () => {
    const claims = verify(sign()).claims;
    expect(claims.qsh).toBe(createQueryStringHash(fromMethodAndUrl('GET', '/rest/api/3/issue/NOTE-1?fields=summary'), false, 'http://anything.example'));
  });

  it('refuses a token signed with another secret', () => expect(code(() => verify(sign({}, { secret: 'not-the-secret' })))).toBe('BAD_SIGNATURE'));
  it('refuses a token whose iss is not an installed app key (a clientKey is not an app key)', () => expect(code(() => verify(sign({ iss: installation.clientKey })))).toBe('UNKNOWN_ISSUER'));
  it('refuses a token for another URL', () => expect(code(() => verify(sign({}, { signedUrl: `${siteBaseUrl}/rest/api/3/myself` })))).toBe('QSH_MISMATCH'));
  it('refuses a token for another method', () => expect(code(() => verify(sign(), 'DELETE'))).toBe('QSH_MISMATCH'));
  it('refuses a query parameter added after signing', () => expect(code(() => verify(sign({}, { signedUrl: `${siteBaseUrl}/rest/api/3/issue/NOTE-1` })))).toBe('QSH_MISMATCH'));
  it('refuses a token without qsh', () => expect(code(() => verify(sign({ qsh: undefined })))).toBe('QSH_MISMATCH'));
  it('refuses an expired token', () => expect(code(() => verify(sign({ exp: Math.floor(Date.now() / 1000) - 120 })))).toBe('TOKEN_EXPIRED'));
  it('refuses a token issued in the future', () => expect(code(() => verify(sign({ iat: Math.floor(Date.now() / 1000) + 600 })))).toBe('TOKEN_NOT_YET_VALID'));
  it('refuses a token that is not a JWT', () => expect(code(() => verify('not-a-jwt'))).toBe('TOKEN_MALFORMED'));

  it('refuses an unsigned token (alg none)', () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = sign().split('.')[1];
    expect(code(() => verify(`${header}.${body}.`))).toBe('WRONG_ALGORITHM');
  });

  it('refuses a context token: context-qsh is for the app’s own API, never the product’s', () => {
    const token = signContextToken({ clientKey: APP_KEY, sharedSecret: installation.sharedSecret, accountId: site.users[0].accountId, context: {} });
    expect(code(() => verify(token))).toBe('QSH_MISMATCH');
  });

  it('refuses an app that is disabled', () => {
    installation.state = 'disabled';
    try {
      expect(code(() => verify(sign()))).toBe('APP_NOT_ENABLED');
    } finally {
      installation.state = 'enabled';
    }
  });
});

describe('credentials of a request', () => {
  const at = new URL('http://x/rest?jwt=from-query');
  it('reads JWT and Bearer authorization headers, case-insensitively', () => {
    expect(credentialsOf({ authorization: 'jwt abc' }, at)).toEqual({ scheme: 'JWT', token: 'abc' });
    expect(credentialsOf({ authorization: 'Bearer xyz' }, at)).toEqual({ scheme: 'Bearer', token: 'xyz' });
  });
  it('falls back to the jwt query parameter', () => expect(credentialsOf({}, at)).toEqual({ scheme: 'JWT', token: 'from-query' }));
  it('ignores other schemes', () => expect(credentialsOf({ authorization: 'Basic dXNlcjpwYXNz' }, at)).toBeNull());
});
