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
 * The store is TypeScript; jiti (already installed: Prisma loads prisma.config.ts with it) runs it without a build.
 */
import { existsSync } from 'node:fs';
import { createJiti } from 'jiti';

if (existsSync('.env')) process.loadEnvFile('.env');

const jiti = createJiti(import.meta.url);
const { parseConfig } = await jiti.import('../../lib/config.ts');
const { keyRingOf } = await jiti.import('../../lib/crypto/secret-box.ts');
const { createDb } = await jiti.import('../../lib/db/client.ts');
const { createTenantStore } = await jiti.import('../../lib/tenants/store.ts');

const config = parseConfig(process.env);
const keys = keyRingOf(config);
const db = createDb(config.databaseUrl);
try {
  const count = await createTenantStore(db, keys, { cache: { max: 0 } }).reencryptSecrets();
  console.log(`Re-encrypted ${count} shared secret(s); every tenant is now sealed with key ${keys.current.id}.`);
  if (keys.previous.length) console.log('You can remove the old key(s) from ENCRYPTION_KEYS_PREVIOUS.');
} catch (err) {
  // SecretBoxError and ConfigError messages never contain secrets or keys.
  console.error(`Key rotation failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await db.$disconnect();
}
