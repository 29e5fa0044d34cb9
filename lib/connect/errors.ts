/**
 * The one error type of the Connect protocol code. Callers branch on `code`, never on the message.
 * `message` is safe to show to anyone: it never contains a token, a secret or a key.
 */
export type ConnectErrorCode =
  // 401: the request does not prove who sent it.
  | 'TOKEN_MISSING'
  | 'TOKEN_MALFORMED'
  | 'WRONG_ALGORITHM'
  | 'BAD_SIGNATURE'
  | 'TOKEN_EXPIRED'
  | 'TOKEN_NOT_YET_VALID'
  | 'CLAIM_INVALID'
  | 'QSH_MISSING'
  | 'QSH_MISMATCH'
  | 'WRONG_AUDIENCE'
  | 'ISSUER_MISMATCH'
  | 'UNKNOWN_TENANT'
  | 'UNKNOWN_KEY'
  | 'TENANT_UNINSTALLED'
  // 403: the sender is known but not allowed to do this.
  | 'TENANT_DISABLED'
  | 'HOST_NOT_ALLOWED'
  | 'FORBIDDEN'
  | 'ISOLATED_CLOUD_UNSUPPORTED'
  /** LICENSE_REQUIRED is on and the platform says this site's license is not active: reads only. */
  | 'LICENSE_REQUIRED'
  | 'FORGE_MODULE_NOT_ALLOWED'
  // 400 / 404 / 409 / 413 / 415: the request itself is wrong.
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'STALE_LIFECYCLE'
  | 'REPLAYED_INSTALL'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  // 503: a dependency is down; the sender should retry.
  | 'KEY_SERVER_UNAVAILABLE'
  | 'DATABASE_UNAVAILABLE'
  | 'DATABASE_CONFLICT'
  | 'DEADLINE_EXCEEDED'
  | 'SITE_MOVED';

const STATUS: Record<ConnectErrorCode, number> = {
  TOKEN_MISSING: 401,
  TOKEN_MALFORMED: 401,
  WRONG_ALGORITHM: 401,
  BAD_SIGNATURE: 401,
  TOKEN_EXPIRED: 401,
  TOKEN_NOT_YET_VALID: 401,
  CLAIM_INVALID: 401,
  QSH_MISSING: 401,
  QSH_MISMATCH: 401,
  WRONG_AUDIENCE: 401,
  ISSUER_MISMATCH: 401,
  UNKNOWN_TENANT: 401,
  UNKNOWN_KEY: 401,
  TENANT_UNINSTALLED: 401,
  TENANT_DISABLED: 403,
  HOST_NOT_ALLOWED: 403,
  FORBIDDEN: 403,
  ISOLATED_CLOUD_UNSUPPORTED: 403,
  LICENSE_REQUIRED: 403,
  FORGE_MODULE_NOT_ALLOWED: 403,
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  STALE_LIFECYCLE: 409,
  REPLAYED_INSTALL: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  KEY_SERVER_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  DATABASE_CONFLICT: 503,
  DEADLINE_EXCEEDED: 503,
  SITE_MOVED: 503,
};

export class ConnectError extends Error {
  readonly status: number;

  constructor(
    readonly code: ConnectErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectError';
    this.status = STATUS[code];
  }
}
