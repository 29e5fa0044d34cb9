import { createHmac, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConnectError, type ConnectErrorCode } from '@/lib/connect/errors';
import { verifyConnectRequest, type VerifyConnectRequestOptions } from '@/lib/connect/jwt';
import { computeQsh } from '@/lib/connect/qsh';
import type { Tenant } from '@/lib/tenants/types';
import { APP_URL, NOW, NOW_S, contextToken, fakeTenant, joseToken, rawToken, requestToken, signedRequest, tenantLookup } from '../helpers/jwt';

const PANEL = `${APP_URL}/issue-panel?issueKey=DEMO-1&projectKey=DEMO&lic=active`;

function options(tenants: Tenant[], overrides: Partial<VerifyConnectRequestOptions> = {}): VerifyConnectRequestOptions {
  return { mode: 'strict', appBaseUrl: APP_URL, getTenant: tenantLookup(...tenants), now: NOW, ...overrides };
}

/** Verifies and returns the ConnectError code, or 'OK'. Any other error fails the test. */
async function outcome(request: Request, opts: VerifyConnectRequestOptions): Promise<ConnectErrorCode | 'OK'> {
  try {
    await verifyConnectRequest(request, opts);
    return 'OK';
  } catch (err) {
    if (err instanceof ConnectError) return err.code;
    throw err;
  }
}

const header = { typ: 'JWT', alg: 'HS256' };
const claimsFor = (tenant: Tenant, url = PANEL, method = 'GET') => ({
  iss: tenant.clientKey,
  iat: NOW_S - 5,
  exp: NOW_S + 175,
  qsh: computeQsh({ method, url, baseUrl: APP_URL }),
});
const secretOf = (tenant: Tenant) => new TextEncoder().encode(tenant.sharedSecret);

describe('accepted requests', () => {
  it('accepts a request token bound to this request on a strict route', async () => {
    const tenant = fakeTenant();
    const result = await verifyConnectRequest(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL)), options([tenant]));
    expect(result.tenant).toBe(tenant);
    expect(result.userAccountId).toBe('557058:account-id');
    expect(result.claims.iss).toBe(tenant.clientKey);
    expect(result.context).toBeUndefined();
  });

  it('accepts a context token on a context route and returns its context claim', async () => {
    const tenant = fakeTenant();
    const request = signedRequest(`${APP_URL}/api/notes?page=2`, contextToken(tenant), { method: 'POST' });
    const result = await verifyConnectRequest(request, options([tenant], { mode: 'context' }));
    expect(result.tenant).toBe(tenant);
    expect(result.context).toMatchObject({ jira: { issue: { key: 'DEMO-1' } } });
  });

  it('accepts a token without sub, with userAccountId undefined', async () => {
    const tenant = fakeTenant();
    const token = requestToken(tenant, 'POST', `${APP_URL}/webhooks/issue`, { claims: { sub: undefined } });
    const result = await verifyConnectRequest(signedRequest(`${APP_URL}/webhooks/issue`, token, { method: 'POST' }), options([tenant]));
    expect(result.userAccountId).toBeUndefined();
  });

  it.each(['installed', 'enabled'] as const)('accepts a tenant in state %s', async (state) => {
    const tenant = fakeTenant({ state });
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('OK');
  });

  it('accepts a disabled tenant when the route allows it (the enabled callback)', async () => {
    const tenant = fakeTenant({ state: 'disabled' });
    const url = `${APP_URL}/api/lifecycle/enabled`;
    const request = signedRequest(url, requestToken(tenant, 'POST', url), { method: 'POST' });
    expect(await outcome(request, options([tenant], { allowDisabledTenant: true }))).toBe('OK');
  });
});

describe('where the token is', () => {
  it('reads the token from the Authorization header', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL), { via: 'header' }), options([tenant]))).toBe('OK');
  });

  it('reads the token from the jwt query parameter, which is not hashed', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL), { via: 'query' }), options([tenant]))).toBe('OK');
  });

  it('accepts the Authorization scheme in any case', async () => {
    const tenant = fakeTenant();
    const request = new Request(PANEL, { headers: { authorization: `jwt ${requestToken(tenant, 'GET', PANEL)}` } });
    expect(await outcome(request, options([tenant]))).toBe('OK');
  });

  it('accepts the same token in both the header and the query', async () => {
    const tenant = fakeTenant();
    const token = requestToken(tenant, 'GET', PANEL);
    const request = new Request(`${PANEL}&jwt=${token}`, { headers: { authorization: `JWT ${token}` } });
    expect(await outcome(request, options([tenant]))).toBe('OK');
  });

  it('rejects two different tokens in the header and the query with BAD_REQUEST', async () => {
    const tenant = fakeTenant();
    const request = new Request(`${PANEL}&jwt=${requestToken(tenant, 'GET', PANEL)}`, {
      headers: { authorization: `JWT ${requestToken(tenant, 'GET', PANEL, { claims: { sub: 'someone-else' } })}` },
    });
    expect(await outcome(request, options([tenant]))).toBe('BAD_REQUEST');
  });

  it('rejects two different jwt query parameters with BAD_REQUEST', async () => {
    const tenant = fakeTenant();
    const a = requestToken(tenant, 'GET', PANEL);
    const b = requestToken(tenant, 'GET', PANEL, { claims: { sub: 'x' } });
    expect(await outcome(new Request(`${PANEL}&jwt=${a}&jwt=${b}`), options([tenant]))).toBe('BAD_REQUEST');
  });
});

describe('missing and malformed tokens', () => {
  it('rejects a request without a token with TOKEN_MISSING', async () => {
    expect(await outcome(new Request(PANEL), options([]))).toBe('TOKEN_MISSING');
  });

  it('rejects an Authorization header of another scheme with TOKEN_MISSING', async () => {
    expect(await outcome(new Request(PANEL, { headers: { authorization: 'Bearer abc.def.ghi' } }), options([]))).toBe('TOKEN_MISSING');
  });

  it('rejects an empty JWT header and an empty jwt parameter with TOKEN_MISSING', async () => {
    expect(await outcome(new Request(`${PANEL}&jwt=`, { headers: { authorization: 'JWT ' } }), options([]))).toBe('TOKEN_MISSING');
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['two parts', 'eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0'],
    ['four parts', 'eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln.eHg'],
    ['a header that is not base64url', '%%%.eyJpc3MiOiJ4In0.c2ln'],
    ['a header that is not JSON', `${Buffer.from('{"alg":').toString('base64url')}.eyJpc3MiOiJ4In0.c2ln`],
    ['a payload that is not base64url', `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.%%%.c2ln`],
    ['a payload that is not JSON', `${Buffer.from('{"alg":"HS256"}').toString('base64url')}.${Buffer.from('not json').toString('base64url')}.c2ln`],
    ['a payload that is a JSON array', rawToken(header, [1, 2])],
    ['a header with spaces inside', 'eyJhbGciOiJIUzI1NiJ9 .eyJpc3MiOiJ4In0.c2ln'],
  ])('rejects %s with TOKEN_MALFORMED', async (_, token) => {
    expect(await outcome(signedRequest(PANEL, token), options([]))).toBe('TOKEN_MALFORMED');
  });

  it('rejects a token longer than 8 KiB with TOKEN_MALFORMED', async () => {
    const tenant = fakeTenant();
    const token = requestToken(tenant, 'GET', PANEL, { claims: { padding: 'x'.repeat(9000) } });
    expect(await outcome(signedRequest(PANEL, token), options([tenant]))).toBe('TOKEN_MALFORMED');
  });

  it('rejects a header with a crit extension with TOKEN_MALFORMED, even signed with the right secret', async () => {
    const tenant = fakeTenant();
    const unsigned = rawToken({ alg: 'HS256', typ: 'JWT', crit: ['x-ext'], 'x-ext': true }, claimsFor(tenant)).slice(0, -1);
    const token = `${unsigned}.${createHmac('sha256', tenant.sharedSecret).update(unsigned).digest('base64url')}`;
    expect(await outcome(signedRequest(PANEL, token), options([tenant]))).toBe('TOKEN_MALFORMED');
  });

  it('rejects a part one character over a multiple of four (not base64) with TOKEN_MALFORMED, even signed', async () => {
    const tenant = fakeTenant();
    // A payload whose base64url is 4n long, plus one character: a lenient decoder drops it and reads valid JSON.
    let token = requestToken(tenant, 'GET', PANEL);
    for (let pad = ''; token.split('.')[1].length % 4 !== 0; pad += 'x') token = requestToken(tenant, 'GET', PANEL, { claims: { pad } });
    const [h, p] = token.split('.');
    const payload = `${p}A`;
    const sign = (input: string) => createHmac('sha256', tenant.sharedSecret).update(input).digest('base64url');
    expect(await outcome(signedRequest(PANEL, `${h}.${payload}.${sign(`${h}.${payload}`)}`), options([tenant]))).toBe('TOKEN_MALFORMED');
  });

  it('rejects a signature one byte short with BAD_SIGNATURE', async () => {
    const tenant = fakeTenant();
    const token = requestToken(tenant, 'GET', PANEL);
    const [h, p, sig] = token.split('.');
    const short = Buffer.from(sig, 'base64url').subarray(0, 31).toString('base64url');
    expect(await outcome(signedRequest(PANEL, `${h}.${p}.${short}`), options([tenant]))).toBe('BAD_SIGNATURE');
  });

  it('rejects a signature that is not base64url with TOKEN_MALFORMED', async () => {
    const tenant = fakeTenant();
    const token = requestToken(tenant, 'GET', PANEL).replace(/\.[^.]+$/, '.***');
    expect(await outcome(signedRequest(PANEL, token), options([tenant]))).toBe('TOKEN_MALFORMED');
  });

  it('rejects a token without iss with CLAIM_INVALID, before any tenant lookup', async () => {
    const tenant = fakeTenant();
    const opts = options([tenant]);
    const token = requestToken(tenant, 'GET', PANEL, { claims: { iss: undefined } });
    expect(await outcome(signedRequest(PANEL, token), opts)).toBe('CLAIM_INVALID');
    expect((opts.getTenant as ReturnType<typeof tenantLookup>).calls).toBe(0);
  });
});

describe('algorithms', () => {
  it('rejects alg none with WRONG_ALGORITHM', async () => {
    const tenant = fakeTenant();
    const token = rawToken({ typ: 'JWT', alg: 'none' }, claimsFor(tenant));
    expect(await outcome(signedRequest(PANEL, token), options([tenant]))).toBe('WRONG_ALGORITHM');
  });

  it('rejects a token without alg with WRONG_ALGORITHM', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, rawToken({ typ: 'JWT' }, claimsFor(tenant), 'c2ln')), options([tenant]))).toBe('WRONG_ALGORITHM');
  });

  it.each(['HS384', 'HS512'])('rejects an HMAC token signed with the right secret but %s with WRONG_ALGORITHM', async (alg) => {
    const tenant = fakeTenant();
    const token = await joseToken(claimsFor(tenant), alg, secretOf(tenant));
    expect(await outcome(signedRequest(PANEL, token), options([tenant]))).toBe('WRONG_ALGORITHM');
  });

  it.each([
    ['RS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ['PS256', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey],
    ['ES256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey],
  ])('rejects an asymmetric %s token with WRONG_ALGORITHM, before any tenant lookup', async (alg, key) => {
    const tenant = fakeTenant();
    const opts = options([tenant]);
    const token = await joseToken(claimsFor(tenant), alg, key());
    expect(await outcome(signedRequest(PANEL, token), opts)).toBe('WRONG_ALGORITHM');
    expect((opts.getTenant as ReturnType<typeof tenantLookup>).calls).toBe(0);
  });

  it.each(['hs256', 'HS256 ', 'HMAC-SHA256'])('rejects the look-alike alg %j with WRONG_ALGORITHM', async (alg) => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, rawToken({ alg }, claimsFor(tenant), 'c2ln')), options([tenant]))).toBe('WRONG_ALGORITHM');
  });

  it('ignores key hints in the header (kid, jwk, jku): only the tenant secret verifies', async () => {
    const tenant = fakeTenant();
    const attackerSecret = new TextEncoder().encode('attacker-secret-attacker-secret-00');
    const token = await joseToken(claimsFor(tenant), 'HS256', attackerSecret, { kid: 'attacker', jku: 'https://evil.example/keys' });
    expect(await outcome(signedRequest(PANEL, token), options([tenant]))).toBe('BAD_SIGNATURE');
  });
});

describe('signature', () => {
  it('rejects a token signed with another secret with BAD_SIGNATURE', async () => {
    const tenant = fakeTenant();
    const token = requestToken(tenant, 'GET', PANEL, { secret: 'not-the-shared-secret-not-the-shared-secret' });
    expect(await outcome(signedRequest(PANEL, token), options([tenant]))).toBe('BAD_SIGNATURE');
  });

  it('rejects a token whose payload was changed after signing with BAD_SIGNATURE', async () => {
    const [victim, attacker] = [fakeTenant(), fakeTenant()];
    const [h, , s] = requestToken(attacker, 'GET', PANEL).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(claimsFor(victim))).toString('base64url')}.${s}`;
    expect(await outcome(signedRequest(PANEL, forged), options([victim, attacker]))).toBe('BAD_SIGNATURE');
  });

  it('verifies with the secret the tenant holds now when it changes (reinstall)', async () => {
    const before = fakeTenant();
    const after = { ...before, sharedSecret: 'rotated-secret-rotated-secret-rotated' };
    expect(await outcome(signedRequest(PANEL, requestToken(before, 'GET', PANEL)), options([before]))).toBe('OK');
    expect(await outcome(signedRequest(PANEL, requestToken(before, 'GET', PANEL)), options([after]))).toBe('BAD_SIGNATURE');
    expect(await outcome(signedRequest(PANEL, requestToken(after, 'GET', PANEL)), options([after]))).toBe('OK');
  });
});

describe('time', () => {
  const tenant = fakeTenant();
  const at = (claims: Record<string, unknown>) => signedRequest(PANEL, requestToken(tenant, 'GET', PANEL, { claims }));

  it('rejects an expired token with TOKEN_EXPIRED', async () => {
    expect(await outcome(at({ iat: NOW_S - 300, exp: NOW_S - 31 }), options([tenant]))).toBe('TOKEN_EXPIRED');
  });

  it('accepts a token expired within the 30 s leeway', async () => {
    expect(await outcome(at({ iat: NOW_S - 200, exp: NOW_S - 29 }), options([tenant]))).toBe('OK');
  });

  it('applies a configured leeway', async () => {
    expect(await outcome(at({ iat: NOW_S - 200, exp: NOW_S - 5 }), options([tenant], { clockToleranceSeconds: 0 }))).toBe('TOKEN_EXPIRED');
  });

  it('rejects an iat in the future beyond the leeway with TOKEN_NOT_YET_VALID', async () => {
    expect(await outcome(at({ iat: NOW_S + 31, exp: NOW_S + 200 }), options([tenant]))).toBe('TOKEN_NOT_YET_VALID');
  });

  it('accepts an iat in the future within the leeway (a product clock slightly ahead)', async () => {
    expect(await outcome(at({ iat: NOW_S + 29, exp: NOW_S + 200 }), options([tenant]))).toBe('OK');
  });

  it('rejects an nbf in the future with TOKEN_NOT_YET_VALID', async () => {
    expect(await outcome(at({ nbf: NOW_S + 60 }), options([tenant]))).toBe('TOKEN_NOT_YET_VALID');
  });

  it('rejects a token without exp with CLAIM_INVALID', async () => {
    expect(await outcome(at({ exp: undefined }), options([tenant]))).toBe('CLAIM_INVALID');
  });

  it('rejects a token without iat with CLAIM_INVALID', async () => {
    expect(await outcome(at({ iat: undefined }), options([tenant]))).toBe('CLAIM_INVALID');
  });

  it('rejects a non-numeric exp with CLAIM_INVALID', async () => {
    expect(await outcome(at({ exp: String(NOW_S + 100) }), options([tenant]))).toBe('CLAIM_INVALID');
  });

  // The edges of the 30 s leeway, as jose drew them: expired when exp <= now - 30; not yet valid when nbf > now + 30.
  it('expires a token at exactly 30 s past exp, not at 29 s', async () => {
    expect(await outcome(at({ exp: NOW_S - 30 }), options([tenant]))).toBe('TOKEN_EXPIRED');
    expect(await outcome(at({ exp: NOW_S - 29 }), options([tenant]))).toBe('OK');
  });

  it('accepts an nbf 30 s ahead, and refuses one 31 s ahead', async () => {
    expect(await outcome(at({ nbf: NOW_S + 30 }), options([tenant]))).toBe('OK');
    expect(await outcome(at({ nbf: NOW_S + 31 }), options([tenant]))).toBe('TOKEN_NOT_YET_VALID');
  });

  it.each(['iat', 'nbf'])('rejects a non-numeric %s with CLAIM_INVALID', async (claim) => {
    expect(await outcome(at({ [claim]: String(NOW_S) }), options([tenant]))).toBe('CLAIM_INVALID');
  });
});

describe('query string hash, strict routes', () => {
  it('rejects a token without qsh with QSH_MISSING', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL, { claims: { qsh: undefined } })), options([tenant]))).toBe('QSH_MISSING');
  });

  it('rejects a wrong qsh with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL, { claims: { qsh: 'a'.repeat(64) } })), options([tenant]))).toBe('QSH_MISMATCH');
  });

  it('rejects a non-string qsh with CLAIM_INVALID', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL, { claims: { qsh: 42 } })), options([tenant]))).toBe('CLAIM_INVALID');
  });

  it('rejects a tampered path with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    const token = requestToken(tenant, 'GET', PANEL);
    expect(await outcome(signedRequest(PANEL.replace('/issue-panel', '/admin-panel'), token), options([tenant]))).toBe('QSH_MISMATCH');
  });

  it('rejects a tampered method with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL), { method: 'DELETE' }), options([tenant]))).toBe('QSH_MISMATCH');
  });

  it('rejects an added query parameter with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(`${PANEL}&admin=true`, requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('QSH_MISMATCH');
  });

  it('rejects a changed query value with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL.replace('DEMO-1', 'SECRET-9'), requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('QSH_MISMATCH');
  });

  it('rejects a repeated parameter added to a signed one with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(`${PANEL}&issueKey=SECRET-9`, requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('QSH_MISMATCH');
  });

  it('accepts reordered query parameters', async () => {
    const tenant = fakeTenant();
    const reordered = `${APP_URL}/issue-panel?lic=active&projectKey=DEMO&issueKey=DEMO-1`;
    expect(await outcome(signedRequest(reordered, requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('OK');
  });

  it('accepts a space sent as + where it was signed as %20', async () => {
    const tenant = fakeTenant();
    const signed = `${APP_URL}/search?q=hello%20world`;
    expect(await outcome(signedRequest(`${APP_URL}/search?q=hello+world`, requestToken(tenant, 'GET', signed)), options([tenant]))).toBe('OK');
  });

  it('rejects a malformed percent sequence added to the query with QSH_MISMATCH, not a 500', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(`${PANEL}&x=%E0%A4%A`, requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('QSH_MISMATCH');
  });

  it('accepts a query whose parameter names atlassian-jwt and the spec order differently, signed either way', async () => {
    const tenant = fakeTenant();
    const url = `${APP_URL}/panel?z=1&a%5B=2&a1=3&%C3%A9=4`;
    const bySpec = requestToken(tenant, 'GET', url, { claims: { qsh: computeQsh({ method: 'GET', url, baseUrl: APP_URL }, 'spec') } });
    const byAtlassianJwt = requestToken(tenant, 'GET', url);
    expect(await outcome(signedRequest(url, bySpec), options([tenant]))).toBe('OK');
    expect(await outcome(signedRequest(url, byAtlassianJwt), options([tenant]))).toBe('OK');
  });

  it('hashes the path relative to a base URL with a path prefix', async () => {
    const tenant = fakeTenant();
    const base = 'https://x.ngrok.app/myapp';
    const url = `${base}/issue-panel?issueKey=DEMO-1`;
    const token = requestToken(tenant, 'GET', url, { baseUrl: base });
    expect(await outcome(signedRequest(url, token), options([tenant], { appBaseUrl: base }))).toBe('OK');
    // The same token is not valid if the app thinks it lives at the root: the hashed path differs.
    expect(await outcome(signedRequest(url, token), options([tenant], { appBaseUrl: 'https://x.ngrok.app' }))).toBe('QSH_MISMATCH');
  });

  it('rejects a context token on a strict route with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(PANEL, contextToken(tenant)), options([tenant]))).toBe('QSH_MISMATCH');
  });
});

describe('query string hash, context routes', () => {
  const url = `${APP_URL}/api/notes`;

  it('rejects a request token on a context route with QSH_MISMATCH', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(url, requestToken(tenant, 'GET', url)), options([tenant], { mode: 'context' }))).toBe('QSH_MISMATCH');
  });

  it('rejects a token without qsh on a context route with QSH_MISSING', async () => {
    const tenant = fakeTenant();
    expect(await outcome(signedRequest(url, contextToken(tenant, { qsh: undefined })), options([tenant], { mode: 'context' }))).toBe('QSH_MISSING');
  });

  it('accepts a context token whatever the URL, method and query', async () => {
    const tenant = fakeTenant();
    const request = signedRequest(`${APP_URL}/api/notes/42?fields=all`, contextToken(tenant), { method: 'DELETE' });
    expect(await outcome(request, options([tenant], { mode: 'context' }))).toBe('OK');
  });
});

describe('tenants', () => {
  it('rejects a token from an unknown clientKey with UNKNOWN_TENANT', async () => {
    const stranger = fakeTenant();
    expect(await outcome(signedRequest(PANEL, requestToken(stranger, 'GET', PANEL)), options([fakeTenant()]))).toBe('UNKNOWN_TENANT');
  });

  it('rejects an uninstalled tenant with TENANT_UNINSTALLED', async () => {
    const tenant = fakeTenant({ state: 'uninstalled' });
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('TENANT_UNINSTALLED');
  });

  it('rejects a disabled tenant with TENANT_DISABLED', async () => {
    const tenant = fakeTenant({ state: 'disabled' });
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL)), options([tenant]))).toBe('TENANT_DISABLED');
  });

  it("reveals a tenant's state only to a validly signed token", async () => {
    const tenant = fakeTenant({ state: 'disabled' });
    const forged = requestToken(tenant, 'GET', PANEL, { secret: 'guessed-secret-guessed-secret-guessed' });
    expect(await outcome(signedRequest(PANEL, forged), options([tenant]))).toBe('BAD_SIGNATURE');
  });
});

describe('error messages', () => {
  it('never contain the token, the secret or a claim value', async () => {
    const tenant = fakeTenant({ state: 'disabled' });
    const cases: [Request, VerifyConnectRequestOptions][] = [];
    const add = (token: string, opts: Partial<VerifyConnectRequestOptions> = {}, url = PANEL) => cases.push([signedRequest(url, token), options([tenant], opts)]);
    add(requestToken(tenant, 'GET', PANEL));
    add(requestToken(tenant, 'GET', PANEL), { allowDisabledTenant: true }, `${PANEL}&x=1`);
    add(requestToken(tenant, 'GET', PANEL, { claims: { exp: NOW_S - 100 } }));
    add(requestToken(tenant, 'GET', PANEL, { claims: { iat: NOW_S + 100 } }));
    add(requestToken(tenant, 'GET', PANEL, { claims: { exp: 'soon' } }));
    add(requestToken(tenant, 'GET', PANEL, { secret: 'wrong-secret-wrong-secret-wrong' }));
    add(requestToken(tenant, 'GET', PANEL, { claims: { qsh: undefined } }), { allowDisabledTenant: true });
    add(contextToken(tenant), { allowDisabledTenant: true });
    add(requestToken(tenant, 'GET', PANEL), { allowDisabledTenant: true, mode: 'context' });
    add(requestToken(tenant, 'GET', PANEL), { getTenant: async () => null });
    add(await joseToken(claimsFor(tenant), 'HS512', secretOf(tenant)));
    add(rawToken({ alg: 'none' }, claimsFor(tenant)));
    add('garbage.' + tenant.sharedSecret);

    for (const [request, opts] of cases) {
      const err = await verifyConnectRequest(request, opts).then(
        () => expect.unreachable('should have been rejected'),
        (e: unknown) => e as ConnectError,
      );
      expect(err).toBeInstanceOf(ConnectError);
      const token = request.headers.get('authorization')!.slice(4);
      for (const secret of [token, ...token.split('.').filter((part) => part.length >= 8), tenant.sharedSecret, tenant.clientKey, String(NOW_S - 5), 'DEMO-1', '557058']) {
        expect(err.message).not.toContain(secret);
      }
    }
    expect(cases).toHaveLength(13);
  });
});

describe('a secret rotated by another instance (refreshTenant)', () => {
  /** A refreshTenant over a committed tenant, counting re-reads; `undefined` when it declines (rate limit). */
  function refresher(committed: Tenant | null | undefined) {
    const refresh = async () => {
      refresh.calls++;
      return committed;
    };
    refresh.calls = 0;
    return refresh;
  }

  it('accepts a token signed with the committed secret when the cached one fails, after one re-read', async () => {
    const cached = fakeTenant();
    const committed = { ...cached, sharedSecret: `rotated-${cached.sharedSecret}` };
    const refresh = refresher(committed);
    const result = await verifyConnectRequest(signedRequest(PANEL, requestToken(committed, 'GET', PANEL)), options([cached], { refreshTenant: refresh }));
    expect(result.tenant.sharedSecret).toBe(committed.sharedSecret);
    expect(refresh.calls).toBe(1);
  });

  it('does not re-read for a token whose signature verifies, or that fails for another reason', async () => {
    const tenant = fakeTenant();
    const refresh = refresher({ ...tenant, sharedSecret: 'other' });
    expect(await outcome(signedRequest(PANEL, requestToken(tenant, 'GET', PANEL)), options([tenant], { refreshTenant: refresh }))).toBe('OK');
    const expired = requestToken(tenant, 'GET', PANEL, { claims: { iat: NOW_S - 600, exp: NOW_S - 300 } });
    expect(await outcome(signedRequest(PANEL, expired), options([tenant], { refreshTenant: refresh }))).toBe('TOKEN_EXPIRED');
    expect(refresh.calls).toBe(0);
  });

  it('refuses a forged signature when the committed secret is the same, or the re-read is declined', async () => {
    const tenant = fakeTenant();
    const forged = requestToken(tenant, 'GET', PANEL, { secret: 'not-the-shared-secret' });
    for (const committed of [{ ...tenant }, undefined, null]) {
      expect(await outcome(signedRequest(PANEL, forged), options([tenant], { refreshTenant: refresher(committed) }))).toBe('BAD_SIGNATURE');
    }
    expect(await outcome(signedRequest(PANEL, forged), options([tenant]))).toBe('BAD_SIGNATURE');
  });

  it('applies every check to the re-read tenant: a reinstall that was then uninstalled is refused', async () => {
    const cached = fakeTenant();
    const committed = { ...cached, sharedSecret: `rotated-${cached.sharedSecret}`, state: 'uninstalled' as const };
    const token = requestToken(committed, 'GET', PANEL);
    expect(await outcome(signedRequest(PANEL, token), options([cached], { refreshTenant: refresher(committed) }))).toBe('TENANT_UNINSTALLED');
  });
});
