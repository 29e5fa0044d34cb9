/**
 * Key rotation: re-encrypts every tenant's shared secret under the current ENCRYPTION_KEY
 * (`npm run db:rotate-key`, scripts/db/rotate-key.mjs, after the old key moved to ENCRYPTION_KEYS_PREVIOUS).
 *
 * A row that cannot be opened with any key of the ring (a lost key, a damaged value) is reported and left
 * as it is; the others are still rotated. Such a tenant's requests fail until Atlassian sends a signed
 * reinstall, which brings a new secret (the store accepts it without reading the old one).
 */
import { keyIdOf, resealed, SecretBoxError, type KeyRing, type SecretBoxErrorCode } from '../crypto/secret-box';
import type { Db } from '../db/client';

export interface RotationReport {
  /** Rows re-encrypted under the current key. */
  rewritten: number;
  /** Rows left as they were because no key of the ring opens them, by `clientKey`. */
  unreadable: { clientKey: string; code: SecretBoxErrorCode }[];
}

/** Rows read per query. */
const BATCH = 200;

/**
 * Re-encrypts every shared secret not sealed with `keys.current`. Safe to re-run; safe beside a running app
 * (each row is rewritten only if it still holds what was read, so a concurrent reinstall is never overwritten).
 *
 * @example const { rewritten, unreadable } = await reencryptSecrets(db, keyRingOf(getConfig()));
 */
export async function reencryptSecrets(db: Db, keys: KeyRing): Promise<RotationReport> {
  const report: RotationReport = { rewritten: 0, unreadable: [] };
  let cursor: string | undefined;
  for (;;) {
    const rows = await db.tenant.findMany({
      select: { clientKey: true, sharedSecret: true },
      orderBy: { clientKey: 'asc' },
      take: BATCH,
      ...(cursor ? { cursor: { clientKey: cursor }, skip: 1 } : {}),
    });
    if (rows.length === 0) return report;
    for (const row of rows) {
      let sealed: string;
      try {
        if (keyIdOf(row.sharedSecret) === keys.current.id) continue;
        sealed = resealed(row.sharedSecret, row.clientKey, keys);
      } catch (err) {
        if (!(err instanceof SecretBoxError)) throw err;
        report.unreadable.push({ clientKey: row.clientKey, code: err.code });
        continue;
      }
      const { count } = await db.tenant.updateMany({ where: { clientKey: row.clientKey, sharedSecret: row.sharedSecret }, data: { sharedSecret: sealed } });
      report.rewritten += count;
    }
    cursor = rows[rows.length - 1].clientKey;
  }
}
