/**
 * Prisma's schema engine, run as WebAssembly, for the two jobs that need it offline: writing a new migration
 * (scripts/db/new-migration.mjs) and checking that the committed migrations still match the schema
 * (test/db/drift.test.ts). Development only: it loads devDependencies. Types: engine.d.mts.
 *
 * The engine is the one the `prisma` CLI itself ships (node_modules/prisma/build/schema_engine_bg.wasm, the same
 * version as the CLI), so the SQL it writes is the SQL `prisma migrate dev` would write. Its JavaScript glue comes
 * from `@prisma/schema-engine-wasm`; both are Prisma internals without a stable API, which is why everything that
 * touches them is in this one file. Upgrading `prisma`? Run `npm test`: test/db/drift.test.ts exercises all of it.
 *
 * The engine reaches databases only through Prisma driver adapters:
 * - SQLite: better-sqlite3; the shadow database is in memory.
 * - PostgreSQL: an in-process PGlite for the shadow database (no server needed to write a migration), or the pg
 *   driver for describing a real database.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { postgresOptions, sqliteFilePath, dialectOf } from '../../lib/db/database-url.mjs';
import { migrationLockFile, readMigrations } from './migrations.mjs';
import { ROOT } from './schemas.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const NO_FILTER = { externalTables: [], externalEnums: [] };

/** @type {Promise<any> | undefined} */
let enginePackage;

/** Instantiates the WebAssembly module once per process. */
function loadEnginePackage() {
  enginePackage ??= (async () => {
    const glue = await import(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    const wasmFile = path.join(path.dirname(require.resolve('prisma/package.json')), 'build/schema_engine_bg.wasm');
    const module = new WebAssembly.Module(readFileSync(wasmFile));
    const missing = WebAssembly.Module.imports(module).filter((i) => typeof glue[i.name] !== 'function');
    if (missing.length) {
      throw new Error(
        `@prisma/schema-engine-wasm does not fit the schema engine in node_modules/prisma (missing ${missing[0].name}). ` +
          'Pin @prisma/schema-engine-wasm to the version published with this prisma release.',
      );
    }
    const instance = new WebAssembly.Instance(module, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    instance.exports.__wbindgen_start();
    // The engine reports a Rust panic's message through this global before it traps.
    globalThis.PRISMA_WASM_PANIC_REGISTRY ??= {
      message: '',
      set_message(message) {
        this.message = message;
      },
    };
    const adapterRequire = createRequire(require.resolve('@prisma/adapter-better-sqlite3'));
    const utils = await import(adapterRequire.resolve('@prisma/driver-adapter-utils'));
    return { glue, utils };
  })();
  return enginePackage;
}

/**
 * Runs `work` with an engine connected through `factory` (a Prisma migration-aware adapter factory).
 * Every adapter the engine opens is disposed afterwards (the engine itself does not), and adapter errors,
 * which the engine only knows as "External error id#N", are put back into the message.
 */
async function withEngine(schema, factory, work) {
  const { glue, utils } = await loadEnginePackage();
  const opened = [];
  const track = (connect) => async () => {
    const adapter = await connect();
    opened.push(adapter);
    // The engine sends whole migration scripts through executeRaw without parameters; drivers that prepare
    // statements (better-sqlite3, PGlite's extended protocol) take only one statement that way.
    const executeRaw = adapter.executeRaw.bind(adapter);
    adapter.executeRaw = async (query) => {
      if (query.args.length > 0) return executeRaw(query);
      await adapter.executeScript(query.sql);
      return 0;
    };
    return adapter;
  };
  const bound = utils.bindMigrationAwareSqlAdapterFactory({
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: track(() => factory.connect()),
    connectToShadowDb: track(() => factory.connectToShadowDb()),
  });
  let engine;
  try {
    engine = await glue.SchemaEngine.new({ datamodels: [['schema.prisma', schema]] }, () => {}, bound);
    return await work(engine);
  } catch (err) {
    throw explain(err, bound.errorRegistry);
  } finally {
    engine?.free();
    for (const adapter of opened) await adapter.dispose().catch(() => {});
  }
}

function explain(err, registry) {
  if (!(err instanceof Error)) return err;
  const panic = globalThis.PRISMA_WASM_PANIC_REGISTRY?.message;
  let message = err.message.split('\n   0: ')[0].trim();
  message = message.replace(/External error id#(\d+)/g, (whole, id) => {
    const cause = registry?.registeredErrors?.[Number(id)]?.error;
    return cause ? String(cause.message ?? cause.kind ?? whole) : whole;
  });
  if (panic) message += `\nSchema engine panic: ${panic}`;
  const wrapped = new Error(message, { cause: err });
  if ('code' in err) wrapped.code = err.code;
  return wrapped;
}

function migrationsList(dir, provider) {
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: migrationLockFile(provider) },
    shadowDbInitScript: '',
    migrationDirectories: readMigrations(dir, provider).map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.sql } },
    })),
  };
}

async function diff(engine, from, schema) {
  const result = await engine.diff({
    from,
    to: { tag: 'schemaDatamodel', files: [{ path: 'schema.prisma', content: schema }] },
    script: true,
    exitCode: true,
    filters: NO_FILTER,
  });
  // With exitCode set, the engine answers 2 when the two sides differ and 0 when they match.
  return { empty: result.exitCode === 0, script: result.stdout ?? '' };
}

/**
 * The SQL that takes a database built by the migrations in `migrationsDir` to `schema` (a full schema file).
 * Replays the migrations into a throw-away shadow database: in memory for SQLite, an in-process PGlite
 * for PostgreSQL. `empty` is true when the migrations already produce the schema.
 *
 * @example await diffMigrationsToSchema({ dialect: 'sqlite', migrationsDir: 'prisma/sqlite/migrations', schema })
 */
export async function diffMigrationsToSchema({ dialect, migrationsDir, schema }) {
  const provider = dialect === 'sqlite' ? 'sqlite' : 'postgresql';
  const from = { tag: 'migrations', ...migrationsList(migrationsDir, provider) };
  if (dialect === 'sqlite') {
    const { PrismaBetterSqlite3 } = await import(require.resolve('@prisma/adapter-better-sqlite3'));
    return withEngine(schema, new PrismaBetterSqlite3({ url: ':memory:' }), (engine) => diff(engine, from, schema));
  }
  const { PGlite } = await import(require.resolve('@electric-sql/pglite'));
  const { PrismaPGlite } = await import(require.resolve('pglite-prisma-adapter'));
  // One PGlite (2-4 s to start) serves as both the engine's main connection, which `diff` does not use,
  // and the shadow database, which the engine empties before and after replaying the migrations.
  const pglite = await PGlite.create();
  const adapterFor = async () => {
    const adapter = await new PrismaPGlite(pglite).connect();
    // pglite-prisma-adapter 0.7 does not await exec(), which would lose a failing migration's error.
    adapter.executeScript = async (script) => {
      await pglite.exec(script);
    };
    return adapter;
  };
  try {
    return await withEngine(schema, { provider: 'postgres', adapterName: 'pglite', connect: adapterFor, connectToShadowDb: adapterFor }, (engine) =>
      diff(engine, from, schema),
    );
  } finally {
    await pglite.close();
  }
}

/**
 * The SQL that takes the live database at `databaseUrl` to `schema` (a full schema file for the URL's
 * dialect); `empty` is true when the database already matches. PostgreSQL honours `?schema=`.
 *
 * @example await diffDatabaseToSchema({ databaseUrl: 'file:/tmp/x.db', schema })
 */
export async function diffDatabaseToSchema({ databaseUrl, schema, cwd }) {
  const from = { tag: 'schemaDatasource', files: [{ path: 'schema.prisma', content: schema }], configDir: ROOT };
  const noShadow = () => Promise.reject(new Error('Describing a live database needs no shadow database.'));
  if (dialectOf(databaseUrl) === 'sqlite') {
    const { PrismaBetterSqlite3 } = await import(require.resolve('@prisma/adapter-better-sqlite3'));
    const factory = new PrismaBetterSqlite3({ url: sqliteFilePath(databaseUrl, cwd), fileMustExist: true });
    return withEngine(schema, { provider: 'sqlite', adapterName: 'better-sqlite3', connect: () => factory.connect(), connectToShadowDb: noShadow }, (engine) =>
      diff(engine, from, schema),
    );
  }
  const { default: pg } = await import('pg');
  const { PrismaPg } = await import(require.resolve('@prisma/adapter-pg'));
  const { connectionString, schema: namespace } = postgresOptions(databaseUrl);
  // The engine's describer reads catalog columns of PostgreSQL's internal one-byte type "char" (OID 18),
  // which @prisma/adapter-pg 7.10 refuses to map; pg already returns them as strings, so call them text (OID 25).
  class CatalogPool extends pg.Pool {
    async query(...args) {
      const result = await super.query(...args);
      for (const field of result?.fields ?? []) if (field.dataTypeID === 18) field.dataTypeID = 25;
      return result;
    }
  }
  const pool = new CatalogPool({ connectionString, max: 2 });
  const factory = new PrismaPg(pool, { schema: namespace });
  try {
    return await withEngine(schema, { provider: 'postgres', adapterName: 'pg', connect: () => factory.connect(), connectToShadowDb: noShadow }, (engine) =>
      diff(engine, from, schema),
    );
  } finally {
    await pool.end();
  }
}
