/**
 * Real databases for tests: a migrated SQLite file in a temporary folder and a migrated schema of its own in
 * the PostgreSQL at TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test). Never mocked and
 * never skipped: if PostgreSQL is unreachable the suite fails and says so.
 *
 * @example
 * forEachDatabase('tenant store', (t) => {
 *   it('finds a saved tenant', async () => {
 *     await t.store.saveInstall(installPayload(), { iat: 1 });
 *     expect(await t.store.getTenant('client-1')).not.toBeNull();
 *   });
 * });
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe } from 'vitest';
import { parseConfig } from '@/lib/config';
import { keyRingOf, type KeyRing } from '@/lib/crypto/secret-box';
import { createDb, type Db, type Statement } from '@/lib/db/client';
import { createTenantStore, type TenantStore, type TenantStoreOptions } from '@/lib/tenants/store';
import type { InstallPayload } from '@/lib/tenants/types';
import { applyMigrations } from '@/scripts/db/migrations.mjs';

export type Dialect = 'sqlite' | 'postgresql';
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgresql'];

/** The PostgreSQL server tests use; each test file gets its own schema in it. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  dialect: Dialect;
  /** DATABASE_URL of this database (`file:/tmp/...` or `postgresql://...?schema=...`). */
  url: string;
  db: Db;
  /** Deletes the database (file or schema) and closes connections. */
  dispose(): Promise<void>;
}

/**
 * A new, empty, migrated database of `dialect`. Dispose of it when done.
 * `label` only makes the PostgreSQL schema name recognisable.
 */
export async function createTestDatabase(dialect: Dialect, label = 'test'): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'connect-next-db-'));
    const url = `file:${path.join(dir, 'test.db')}`;
    await applyMigrations(url);
    const db = createDb(url);
    return {
      dialect,
      url,
      db,
      async dispose() {
        await db.$disconnect();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${label.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 40)}_${randomBytes(4).toString('hex')}`;
  const url = withSchema(TEST_DATABASE_URL, schema);
  await adminQuery(`CREATE SCHEMA "${schema}"`);
  await applyMigrations(url);
  const db = createDb(url);
  return {
    dialect,
    url,
    db,
    async dispose() {
      await db.$disconnect();
      await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
  };
}

/** `url` with Prisma's `?schema=` parameter set. */
export function withSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

/** Runs one statement on TEST_DATABASE_URL, with an error that says what to do if PostgreSQL is not there. */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Tests need PostgreSQL at ${new URL(TEST_DATABASE_URL).host} (set TEST_DATABASE_URL to another server): ${(err as Error).message}`,
    );
  }
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Deletes every row the models hold, children first. */
export async function clearTables(db: Db): Promise<void> {
  await db.webhookDelivery.deleteMany();
  await db.note.deleteMany();
  await db.forgeInstallation.deleteMany();
  await db.tenant.deleteMany();
  await db.site.deleteMany();
}

/**
 * A key ring made by the real configuration parser from base64 keys: the first seals, the others only open.
 *
 * @example const [a, b] = [newKey(), newKey()]; const rotated = keyRing(b, a);
 */
export function keyRing(current: string, ...previous: string[]): KeyRing {
  return keyRingOf(parseConfig({ ENCRYPTION_KEY: current, ENCRYPTION_KEYS_PREVIOUS: previous.join(',') }, tmpdir()));
}

/** A fresh random 32-byte key, base64 (what `openssl rand -base64 32` prints). */
export function newKey(): string {
  return randomBytes(32).toString('base64');
}

/**
 * A valid `installed` payload; override any field. Each clientKey gets its own site, as on Atlassian (one
 * live installation per baseUrl): `client-1` is https://example.atlassian.net, `c7` https://c7.atlassian.net.
 */
export function installPayload(overrides: Partial<InstallPayload> = {}): InstallPayload {
  const clientKey = overrides.clientKey ?? 'client-1';
  const site = clientKey === 'client-1' ? 'example' : clientKey.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return {
    clientKey,
    key: 'connect-next',
    baseUrl: `https://${site}.atlassian.net`,
    displayUrl: null,
    productType: 'jira',
    description: 'Atlassian JIRA at https://example.atlassian.net',
    sharedSecret: 'shared-secret-' + randomBytes(16).toString('hex'),
    oauthClientId: null,
    serverVersion: '100000',
    pluginsVersion: '1001.0.0',
    ...overrides,
  };
}

/** What `forEachDatabase` hands each test: valid inside tests and hooks, not at collection time. */
export interface DatabaseContext extends TestDatabase {
  keys: KeyRing;
  /** A tenant store over `db` with `keys`, new for every test (so its cache starts empty). */
  store: TenantStore;
  /** Another store over the same database, e.g. with other keys (a second app instance, a key rotation). */
  newStore(keys?: KeyRing, options?: TenantStoreOptions): TenantStore;
}

export interface ForEachDatabaseOptions {
  /** Delete all rows before each test. Default true. */
  clearBetweenTests?: boolean;
}

/**
 * Declares the same tests once per dialect, each in a `describe` named `<name> [sqlite]` / `<name> [postgresql]`
 * with its own fresh database for the whole block.
 */
export function forEachDatabase(
  name: string,
  body: (t: DatabaseContext) => void,
  { clearBetweenTests = true }: ForEachDatabaseOptions = {},
): void {
  for (const dialect of DIALECTS) {
    describe(`${name} [${dialect}]`, () => {
      const t = {} as DatabaseContext;
      beforeAll(async () => {
        const database = await createTestDatabase(dialect, name);
        const keys = keyRing(newKey());
        Object.assign(t, database, {
          keys,
          store: createTenantStore(database.db, keys),
          newStore: (k: KeyRing = keys, options?: TenantStoreOptions) => createTenantStore(database.db, k, options),
        });
      });
      beforeEach(async () => {
        if (clearBetweenTests) await clearTables(t.db);
        t.store = createTenantStore(t.db, t.keys);
      });
      afterAll(async () => {
        await t.dispose?.();
      });
      body(t);
    });
  }
}

/**
 * A statement for an effect on the interactive path (Forge events, which carry a deadline): when awaited it
 * first runs `before` (a test holds the event's transaction open there), then `statement`. Only an
 * interactive transaction awaits it; a batch transaction (Connect webhooks) cannot run it.
 *
 * @example deleteForIssue: (...args) => afterHold(() => gate, () => notes.deleteForIssue(...args))
 */
export function afterHold<T>(before: () => Promise<unknown>, statement: () => PromiseLike<T>): Statement<T> {
  let run: Promise<T> | undefined;
  const go = () => (run ??= before().then(statement));
  return {
    then: (onValue, onError) => go().then(onValue, onError),
    catch: (onError) => go().catch(onError),
    finally: (onFinally) => go().finally(onFinally),
    [Symbol.toStringTag]: 'PrismaPromise',
  } as Statement<T>;
}
