/**
 * `npm run db:rotate-key`: re-encrypts every tenant's shared secret under the current ENCRYPTION_KEY.
 *
 * Key rotation, step by step:
 *   1. Generate a key (`openssl rand -base64 32`). Set it as ENCRYPTION_KEY and put the old key first in
 *      ENCRYPTION_KEYS_PREVIOUS (comma-separated). Deploy: the app now seals with the new key, opens with both.
 *   2. Run this script with the same environment (DATABASE_URL, ENCRYPTION_KEY, ENCRYPTION_KEYS_PREVIOUS).
 *   3. When it reports success, remove the old key from ENCRYPTION_KEYS_PREVIOUS and deploy again.
 * Safe to re-run: secrets already under the current key are left alone.
 *
 * A row no key opens (its key was lost, or the value was damaged) is named and skipped, the others are
 * rotated, and the script exits with status 1. Such a tenant is repaired by its next signed reinstall.
 *
 * The code is TypeScript (lib/tenants/rotation.ts); jiti (already installed: Prisma loads prisma.config.ts
 * with it) runs it without a build.
 */
import { existsSync } from 'node:fs';
import { createJiti } from 'jiti';

if (existsSync('.env')) process.loadEnvFile('.env');

const jiti = createJiti(import.meta.url);
const { parseConfig } = await jiti.import('../../lib/config.ts');
const { keyRingOf } = await jiti.import('../../lib/crypto/secret-box.ts');
const { createDb } = await jiti.import('../../lib/db/client.ts');
const { reencryptSecrets } = await jiti.import('../../lib/tenants/rotation.ts');

const config = parseConfig(process.env);
const keys = keyRingOf(config);
const db = createDb(config.databaseUrl);
try {
  const { rewritten, unreadable } = await reencryptSecrets(db, keys);
  console.log(`Re-encrypted ${rewritten} shared secret(s) under key ${keys.current.id}.`);
  // clientKeys and error codes only: SecretBoxError never carries a secret or a key.
  for (const { clientKey, code } of unreadable) console.error(`Could not open the shared secret of tenant ${clientKey} (${code}); left as it is.`);
  if (unreadable.length) {
    console.error(`${unreadable.length} tenant(s) could not be rotated: restore their key in ENCRYPTION_KEYS_PREVIOUS and re-run, or wait for a reinstall. Keep the old key(s) until then.`);
    process.exitCode = 1;
  } else {
    console.log(`Every tenant is now sealed with key ${keys.current.id}.`);
    if (keys.previous.length) console.log('You can remove the old key(s) from ENCRYPTION_KEYS_PREVIOUS.');
  }
} catch (err) {
  // ConfigError messages never contain secrets or keys.
  console.error(`Key rotation failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await db.$disconnect();
}
