import { errors } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { CONNECT_JWT_ERRORS, FORGE_INVOCATION_TOKEN_ERRORS, joseErrorToConnectError } from '@/lib/connect/jose-errors';

const claimFailed = (claim: string, reason: string) => new errors.JWTClaimValidationFailed('x', {}, claim, reason);

/** [jose error, Connect JWT → code and message, FIT → code and message]; null: returned unchanged (a 500). */
const CASES: [string, Error, [string, string] | null, [string, string] | null][] = [
  ['bad signature', new errors.JWSSignatureVerificationFailed(), ['BAD_SIGNATURE', 'The JWT signature is invalid.'], ['BAD_SIGNATURE', 'The Forge invocation token signature is invalid.']],
  ['expired', new errors.JWTExpired('x', {}, 'exp', 'check_failed'), ['TOKEN_EXPIRED', 'The JWT has expired.'], ['TOKEN_EXPIRED', 'The Forge invocation token has expired.']],
  ['nbf in the future', claimFailed('nbf', 'check_failed'), ['TOKEN_NOT_YET_VALID', 'The JWT is not valid yet; check the server clock.'], ['TOKEN_NOT_YET_VALID', 'The Forge invocation token is not valid yet.']],
  ['iat not a number', claimFailed('iat', 'invalid'), ['CLAIM_INVALID', "The JWT's iat claim is invalid."], ['TOKEN_NOT_YET_VALID', 'The Forge invocation token is not valid yet.']],
  ['exp missing', claimFailed('exp', 'missing'), ['CLAIM_INVALID', 'The JWT has no exp claim.'], ['CLAIM_INVALID', 'The Forge invocation token has invalid claims.']],
  ['claim name not echoed', claimFailed('<script>', 'missing'), ['CLAIM_INVALID', 'The JWT has no a required claim.'], ['CLAIM_INVALID', 'The Forge invocation token has invalid claims.']],
  ['wrong issuer', claimFailed('iss', 'check_failed'), ['CLAIM_INVALID', "The JWT's iss claim is invalid."], ['ISSUER_MISMATCH', 'The token was not issued by Forge.']],
  ['wrong audience', claimFailed('aud', 'check_failed'), ['CLAIM_INVALID', "The JWT's aud claim is invalid."], ['WRONG_AUDIENCE', 'The Forge invocation token was issued for another app.']],
  ['algorithm not allowed', new errors.JOSEAlgNotAllowed('x'), ['WRONG_ALGORITHM', 'The JWT is signed with an algorithm that is not accepted.'], ['WRONG_ALGORITHM', 'Forge invocation tokens must be signed with RS256.']],
  ['crit extension not supported', new errors.JOSENotSupported('x'), ['TOKEN_MALFORMED', 'The JWT is malformed.'], ['WRONG_ALGORITHM', 'Forge invocation tokens must be signed with RS256.']],
  ['malformed JWS', new errors.JWSInvalid('x'), ['TOKEN_MALFORMED', 'The JWT is malformed.'], ['TOKEN_MALFORMED', 'The Forge invocation token is not a valid JWT.']],
  ['malformed JWT', new errors.JWTInvalid('x'), ['TOKEN_MALFORMED', 'The JWT is malformed.'], ['TOKEN_MALFORMED', 'The Forge invocation token is not a valid JWT.']],
  ['unknown key', new errors.JWKSNoMatchingKey(), null, ['UNKNOWN_KEY', 'The Forge invocation token was signed with an unknown key.']],
  ['JWKS timeout', new errors.JWKSTimeout(), null, ['TOKEN_MALFORMED', 'The Forge invocation token is not a valid JWT.']],
  ['a bug, not a jose error', new TypeError('boom'), null, null],
];

describe('jose errors map by code, one table per kind of token', () => {
  it.each(CASES)('%s', (_name, err, connect, forge) => {
    for (const [table, expected] of [[CONNECT_JWT_ERRORS, connect], [FORGE_INVOCATION_TOKEN_ERRORS, forge]] as const) {
      const mapped = joseErrorToConnectError(err, table);
      if (expected === null) {
        expect(mapped).toBe(err);
      } else {
        expect(mapped).toBeInstanceOf(ConnectError);
        expect([(mapped as ConnectError).code, mapped.message]).toEqual(expected);
      }
    }
  });

  it('passes a ConnectError through and wraps a thrown non-Error', () => {
    const refused = new ConnectError('KEY_SERVER_UNAVAILABLE', 'The Forge key server did not answer; retry later.');
    expect(joseErrorToConnectError(refused, FORGE_INVOCATION_TOKEN_ERRORS)).toBe(refused);
    const wrapped = joseErrorToConnectError('text', CONNECT_JWT_ERRORS);
    expect(wrapped).toBeInstanceOf(Error);
    expect(wrapped.message).toBe('text');
  });

  it('an object whose code names an Object.prototype key is not a jose error', () => {
    const odd = Object.assign(new Error('odd'), { code: 'constructor' });
    expect(joseErrorToConnectError(odd, CONNECT_JWT_ERRORS)).toBe(odd);
  });
});
