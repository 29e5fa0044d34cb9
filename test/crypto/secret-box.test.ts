import { describe, expect, it } from 'vitest';
import { keyIdOf, open, resealed, seal, SecretBoxError } from '@/lib/crypto/secret-box';
import { keyRing, newKey } from '@/test/helpers/db';

const SECRET = 'the-shared-secret-0123456789';
const A = newKey();
const B = newKey();

function failure(fn: () => unknown): SecretBoxError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SecretBoxError);
    return err as SecretBoxError;
  }
  throw new Error('expected a SecretBoxError');
}

describe('secret box', () => {
  it('opens what it sealed, with the same context', () => {
    const keys = keyRing(A);
    expect(open(seal(SECRET, 'client-1', keys), 'client-1', keys)).toBe(SECRET);
  });

  it('round-trips non-ASCII and empty plaintexts', () => {
    const keys = keyRing(A);
    for (const text of ['', 'é☃𝄞', 'x'.repeat(10_000)]) expect(open(seal(text, 'c', keys), 'c', keys)).toBe(text);
  });

  it('uses the format v1.<keyId>.<iv>.<ciphertext>.<tag> in base64url, labelled with the current key', () => {
    const keys = keyRing(A);
    const sealed = seal(SECRET, 'client-1', keys);
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(keyIdOf(sealed)).toBe(keys.current.id);
  });

  it('never produces the same ciphertext twice (random IV)', () => {
    const keys = keyRing(A);
    expect(seal(SECRET, 'c', keys)).not.toBe(seal(SECRET, 'c', keys));
  });

  it('does not contain the plaintext', () => {
    const sealed = seal(SECRET, 'client-1', keyRing(A));
    expect(sealed).not.toContain(SECRET);
    expect(Buffer.from(sealed.split('.')[3], 'base64url').toString('utf8')).not.toContain(SECRET);
  });

  it('refuses a value sealed under another context (a secret copied to another tenant)', () => {
    const keys = keyRing(A);
    const err = failure(() => open(seal(SECRET, 'client-1', keys), 'client-2', keys));
    expect(err.code).toBe('DECRYPT_FAILED');
  });

  it('refuses a value whose ciphertext, IV or tag was changed', () => {
    const keys = keyRing(A);
    const parts = seal(SECRET, 'c', keys).split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index], 'base64url');
      bytes[0] ^= 1;
      const tampered = parts.map((p, i) => (i === index ? bytes.toString('base64url') : p)).join('.');
      expect(failure(() => open(tampered, 'c', keys)).code).toBe('DECRYPT_FAILED');
    }
  });

  it('refuses a value relabelled with another known key id', () => {
    const sealedWithA = seal(SECRET, 'c', keyRing(A));
    const ring = keyRing(B, A);
    const relabelled = sealedWithA.replace(`.${keyIdOf(sealedWithA)}.`, `.${ring.current.id}.`);
    expect(failure(() => open(relabelled, 'c', ring)).code).toBe('DECRYPT_FAILED');
  });

  it('names an unknown key by id, without the key, the ciphertext or the plaintext', () => {
    const sealed = seal(SECRET, 'c', keyRing(A));
    const err = failure(() => open(sealed, 'c', keyRing(B)));
    expect(err.code).toBe('UNKNOWN_KEY');
    expect(err.message).toContain(keyIdOf(sealed));
    for (const leak of [SECRET, A, B, sealed.split('.')[3]]) expect(err.message).not.toContain(leak);
  });

  it('does not leak secrets in a decryption failure either', () => {
    const keys = keyRing(A);
    const sealed = seal(SECRET, 'client-1', keys);
    const err = failure(() => open(sealed, 'client-2', keys));
    for (const leak of [SECRET, A, sealed, 'client-2']) expect(err.message).not.toContain(leak);
  });

  it.each([['plain text'], ['v2.abcd1234.a.b.c'], ['v1.abcd1234.a.b'], ['v1..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA'], ['v1.abcd1234.!!.AA.AA']])(
    'refuses a malformed value %j',
    (value) => {
      expect(failure(() => open(value, 'c', keyRing(A))).code).toBe('MALFORMED');
    },
  );

  describe('key rotation', () => {
    it('opens values sealed with a previous key, and seals new ones with the current key', () => {
      const old = seal(SECRET, 'c', keyRing(A));
      const rotated = keyRing(B, A);
      expect(open(old, 'c', rotated)).toBe(SECRET);
      expect(keyIdOf(seal(SECRET, 'c', rotated))).toBe(rotated.current.id);
    });

    it('reseals a value under the current key, which then opens without the old key', () => {
      const old = seal(SECRET, 'c', keyRing(A));
      const moved = resealed(old, 'c', keyRing(B, A));
      expect(keyIdOf(moved)).toBe(keyRing(B).current.id);
      expect(open(moved, 'c', keyRing(B))).toBe(SECRET);
    });

    it('leaves a value already under the current key unchanged', () => {
      const keys = keyRing(B, A);
      const sealed = seal(SECRET, 'c', keys);
      expect(resealed(sealed, 'c', keys)).toBe(sealed);
    });

    it('does not reseal a value that fails authentication', () => {
      const old = seal(SECRET, 'client-1', keyRing(A));
      expect(failure(() => resealed(old, 'client-2', keyRing(B, A))).code).toBe('DECRYPT_FAILED');
    });
  });
});
