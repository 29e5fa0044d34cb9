/**
 * The one mapping from jose's errors to the project's {@link ConnectError} codes, for both doors: Connect
 * JWTs (lib/connect/jwt.ts, install-token.ts) and Forge Invocation Tokens (lib/forge/invocation-token.ts).
 *
 * It branches on jose's stable `code` strings (`ERR_JWT_EXPIRED`, …), never on messages. Each kind of token
 * has its own table, side by side below, because the two words their failures differently and verify
 * different things (only FITs carry an `iss`/`aud` jose checks, only FITs come from a JWKS). A jose error a
 * table does not list is a bug and is returned unchanged, to surface as a 500, unless the table names a
 * catch-all. Messages never repeat the token or a claim value.
 */
import { errors } from 'jose';
import { ConnectError } from './errors';

/** What jose says about a failure: its `code`, and for claim failures the claim and why (`missing`, `check_failed`, `invalid`). */
export interface JoseFailure {
  code: string;
  claim?: unknown;
  reason?: unknown;
}

/** How one kind of token reports jose's failures. */
export interface JoseErrorTable {
  /** By jose's error `code`. */
  readonly byCode: Readonly<Record<string, (failure: JoseFailure) => ConnectError>>;
  /** Any other jose error. Absent: such an error is returned unchanged (a bug, a 500). */
  readonly otherJoseError?: () => ConnectError;
}

/**
 * Turns an error thrown while verifying a token into a {@link ConnectError} by `table`. A ConnectError
 * passes through; anything that is not a jose error the table covers is returned unchanged.
 *
 * @example try { await jwtVerify(token, key, options) } catch (err) { throw joseErrorToConnectError(err, CONNECT_JWT_ERRORS) }
 */
export function joseErrorToConnectError(err: unknown, table: JoseErrorTable): Error {
  if (err instanceof ConnectError) return err;
  const failure = (err ?? {}) as Partial<JoseFailure>;
  const rule = typeof failure.code === 'string' && Object.hasOwn(table.byCode, failure.code) ? table.byCode[failure.code] : undefined;
  if (rule) return rule(failure as JoseFailure);
  if (table.otherJoseError && err instanceof errors.JOSEError) return table.otherJoseError();
  return err instanceof Error ? err : new Error(String(err));
}

const tokenMalformed = () => new ConnectError('TOKEN_MALFORMED', 'The JWT is malformed.');

/** Connect JWTs (HS256 with the tenant's shared secret; `iss` and `qsh` are checked by the app, not jose). */
export const CONNECT_JWT_ERRORS: JoseErrorTable = {
  byCode: {
    ERR_JWS_SIGNATURE_VERIFICATION_FAILED: () => new ConnectError('BAD_SIGNATURE', 'The JWT signature is invalid.'),
    ERR_JWT_EXPIRED: () => new ConnectError('TOKEN_EXPIRED', 'The JWT has expired.'),
    ERR_JWT_CLAIM_VALIDATION_FAILED: ({ claim, reason }) => {
      if (reason === 'check_failed' && (claim === 'nbf' || claim === 'iat')) {
        return new ConnectError('TOKEN_NOT_YET_VALID', 'The JWT is not valid yet; check the server clock.');
      }
      return new ConnectError('CLAIM_INVALID', reason === 'missing' ? `The JWT has no ${safeClaimName(claim)} claim.` : `The JWT's ${safeClaimName(claim)} claim is invalid.`);
    },
    ERR_JOSE_ALG_NOT_ALLOWED: () => new ConnectError('WRONG_ALGORITHM', 'The JWT is signed with an algorithm that is not accepted.'),
    ERR_JOSE_NOT_SUPPORTED: tokenMalformed, // e.g. a `crit` header extension jose does not know
    ERR_JWS_INVALID: tokenMalformed,
    ERR_JWT_INVALID: tokenMalformed,
  },
};

const forgeWrongAlgorithm = () => new ConnectError('WRONG_ALGORITHM', 'Forge invocation tokens must be signed with RS256.');

/** Forge Invocation Tokens (RS256, keys from Atlassian's JWKS; jose checks `iss` and `aud`). */
export const FORGE_INVOCATION_TOKEN_ERRORS: JoseErrorTable = {
  byCode: {
    ERR_JWT_EXPIRED: () => new ConnectError('TOKEN_EXPIRED', 'The Forge invocation token has expired.'),
    ERR_JWT_CLAIM_VALIDATION_FAILED: ({ claim }) => {
      switch (claim) {
        case 'iss':
          return new ConnectError('ISSUER_MISMATCH', 'The token was not issued by Forge.');
        case 'aud':
          return new ConnectError('WRONG_AUDIENCE', 'The Forge invocation token was issued for another app.');
        case 'nbf':
        case 'iat':
          return new ConnectError('TOKEN_NOT_YET_VALID', 'The Forge invocation token is not valid yet.');
        default:
          return new ConnectError('CLAIM_INVALID', 'The Forge invocation token has invalid claims.');
      }
    },
    ERR_JOSE_ALG_NOT_ALLOWED: forgeWrongAlgorithm,
    // A `crit` extension, or a JWKS key of a type jose cannot use for RS256.
    ERR_JOSE_NOT_SUPPORTED: forgeWrongAlgorithm,
    ERR_JWKS_NO_MATCHING_KEY: () => new ConnectError('UNKNOWN_KEY', 'The Forge invocation token was signed with an unknown key.'),
    ERR_JWS_SIGNATURE_VERIFICATION_FAILED: () => new ConnectError('BAD_SIGNATURE', 'The Forge invocation token signature is invalid.'),
  },
  otherJoseError: () => new ConnectError('TOKEN_MALFORMED', 'The Forge invocation token is not a valid JWT.'),
};

/** Claim names come from jose (`exp`, `nbf`, …); anything else is not echoed. */
function safeClaimName(claim: unknown): string {
  return typeof claim === 'string' && /^[a-z]{2,8}$/.test(claim) ? claim : 'a required';
}
