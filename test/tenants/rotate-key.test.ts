import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyIdOf } from '@/lib/crypto/secret-box';
import { createTenantStore } from '@/lib/tenants/store';
import { ROOT } from '@/scripts/db/schemas.mjs';
import { createTestDatabase, installPayload, keyRing, newKey, type TestDatabase } from '@/test/helpers/db';

const run = promisify(execFile);

describe('npm run db:rotate-key', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite', 'rotate');
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('re-encrypts every secret under ENCRYPTION_KEY, using ENCRYPTION_KEYS_PREVIOUS to open them', async () => {
    const [oldKey, newer] = [newKey(), newKey()];
    const payloads = ['a', 'b', 'c'].map((clientKey) => installPayload({ clientKey }));
    const before = createTenantStore(database.db, keyRing(oldKey));
    for (const p of payloads) await before.saveInstall(p, { iat: 1 });

    const env = { ...process.env, NODE_ENV: 'development' as const, DATABASE_URL: database.url, ENCRYPTION_KEY: newer, ENCRYPTION_KEYS_PREVIOUS: oldKey };
    const { stdout } = await run(process.execPath, [path.join(ROOT, 'scripts/db/rotate-key.mjs')], { cwd: ROOT, env, encoding: 'utf8' });
    expect(stdout).toContain('Re-encrypted 3 shared secret(s)');

    const rows = await database.db.tenant.findMany();
    expect(rows.map((r) => keyIdOf(r.sharedSecret))).toEqual(Array(3).fill(keyRing(newer).current.id));
    const after = createTenantStore(database.db, keyRing(newer));
    for (const p of payloads) expect((await after.getTenant(p.clientKey))?.sharedSecret).toBe(p.sharedSecret);
  }, 30_000);

  it('names every row it cannot open, rotates the others, and exits 1', async () => {
    await database.db.tenant.deleteMany();
    const [oldKey, lost, newer] = [newKey(), newKey(), newKey()];
    await createTenantStore(database.db, keyRing(oldKey)).saveInstall(installPayload({ clientKey: 'good' }), { iat: 1 });
    for (const clientKey of ['lost-1', 'lost-2']) await createTenantStore(database.db, keyRing(lost)).saveInstall(installPayload({ clientKey }), { iat: 1 });

    const env = { ...process.env, NODE_ENV: 'development' as const, DATABASE_URL: database.url, ENCRYPTION_KEY: newer, ENCRYPTION_KEYS_PREVIOUS: oldKey };
    const failed = await run(process.execPath, [path.join(ROOT, 'scripts/db/rotate-key.mjs')], { cwd: ROOT, env, encoding: 'utf8' }).then(
      () => undefined,
      (err: { code: number; stdout: string; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain('Re-encrypted 1 shared secret(s)');
    expect(failed?.stderr).toContain('Could not open the shared secret of tenant lost-1 (UNKNOWN_KEY)');
    expect(failed?.stderr).toContain('Could not open the shared secret of tenant lost-2 (UNKNOWN_KEY)');
    expect(failed?.stderr).toContain('2 tenant(s) could not be rotated');
    expect(keyIdOf((await database.db.tenant.findUniqueOrThrow({ where: { clientKey: 'good' } })).sharedSecret)).toBe(keyRing(newer).current.id);
  }, 30_000);
});
