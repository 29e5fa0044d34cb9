/**
 * Authenticated encryption of secrets at rest (each tenant's Connect `sharedSecret`), AES-256-GCM.
 *
 * A sealed value is one ASCII string:
 *
 *     v1.<keyId>.<iv>.<ciphertext>.<tag>        (iv, ciphertext, tag in base64url)
 *
 * - `keyId` is the fingerprint of the key that sealed it (lib/config.ts), so after a key rotation the old key
 *   still opens old values while new ones use the current key; `resealed()` moves a value to the current key.
 * - The `context` (for shared secrets, the tenant's `clientKey`) is authenticated as additional data: a value
 *   copied into another tenant's row does not open there, so a database-level swap cannot make one tenant's
 *   secret verify another tenant's JWTs.
 * - A wrong key, a changed byte or a wrong context all fail the same way, with a `SecretBoxError` whose message
 *   never contains the plaintext, the key or the ciphertext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Config, EncryptionKey } from '../config';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
/** 96-bit IVs are GCM's native size; random IVs are safe for far more than 2^32 values per key. */
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The keys that may open a value, and the one that seals new values. */
export interface KeyRing {
  current: EncryptionKey;
  /** Older keys, still accepted for opening (newest first). */
  previous: readonly EncryptionKey[];
}

export type SecretBoxErrorCode =
  /** Not a value this module produced (wrong shape or version). */
  | 'MALFORMED'
  /** Sealed with a key that is neither the current key nor a previous one. */
  | 'UNKNOWN_KEY'
  /** Authentication failed: tampered value, wrong key material or wrong context. */
  | 'DECRYPT_FAILED';

export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** The key ring of a configuration: `ENCRYPTION_KEY` seals, it and `ENCRYPTION_KEYS_PREVIOUS` open. */
export function keyRingOf(config: Pick<Config, 'encryptionKey' | 'previousEncryptionKeys'>): KeyRing {
  return { current: config.encryptionKey, previous: config.previousEncryptionKeys };
}

/**
 * Encrypts `plaintext` under the ring's current key, bound to `context`.
 *
 * @example const stored = seal(payload.sharedSecret, payload.clientKey, keyRingOf(getConfig()));
 */
export function seal(plaintext: string, context: string, keys: KeyRing): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, keys.current.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, keys.current.id, b64(iv), b64(ciphertext), b64(cipher.getAuthTag())].join('.');
}

/**
 * Decrypts a value made by `seal` with the same `context`, using whichever ring key sealed it.
 *
 * @example const sharedSecret = open(row.sharedSecret, row.clientKey, keyRingOf(getConfig()));
 * @throws SecretBoxError
 */
export function open(sealed: string, context: string, keys: KeyRing): string {
  const { keyId, iv, ciphertext, tag } = parse(sealed);
  const key = findKey(keyId, keys);
  try {
    const decipher = createDecipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    // Node's own message ("Unsupported state or unable to authenticate data") says nothing more useful.
    throw new SecretBoxError('DECRYPT_FAILED', `A sealed secret failed authentication with key ${keyId}: it was altered, or belongs to another record.`);
  }
}

/** The id of the key that sealed `sealed`. */
export function keyIdOf(sealed: string): string {
  return parse(sealed).keyId;
}

/**
 * `sealed` re-encrypted under the ring's current key (for key rotation), or `sealed` itself if it already is.
 * Opens it first, so a value that does not authenticate is never carried forward.
 */
export function resealed(sealed: string, context: string, keys: KeyRing): string {
  const plaintext = open(sealed, context, keys);
  return keyIdOf(sealed) === keys.current.id ? sealed : seal(plaintext, context, keys);
}

function findKey(keyId: string, keys: KeyRing): EncryptionKey {
  if (keys.current.id === keyId) return keys.current;
  const key = keys.previous.find((k) => k.id === keyId);
  if (!key) {
    // The id is a short fingerprint, not key material; naming it tells an operator which key to restore.
    throw new SecretBoxError(
      'UNKNOWN_KEY',
      `A secret is sealed with key ${keyId}, which is neither ENCRYPTION_KEY nor in ENCRYPTION_KEYS_PREVIOUS.`,
    );
  }
  return key;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function parse(sealed: string): { keyId: string; iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION || !parts[1] || !parts.slice(2).every((p) => B64URL.test(p))) {
    throw new SecretBoxError('MALFORMED', 'A stored secret is not in the sealed format (v1.<keyId>.<iv>.<ciphertext>.<tag>).');
  }
  const [, keyId, iv, ciphertext, tag] = parts;
  const decoded = { keyId, iv: Buffer.from(iv, 'base64url'), ciphertext: Buffer.from(ciphertext, 'base64url'), tag: Buffer.from(tag, 'base64url') };
  if (decoded.iv.length !== IV_BYTES || decoded.tag.length !== TAG_BYTES) {
    throw new SecretBoxError('MALFORMED', 'A stored secret is not in the sealed format (bad IV or tag length).');
  }
  return decoded;
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64url');
}
