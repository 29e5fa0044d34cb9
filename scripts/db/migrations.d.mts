export const ADVISORY_LOCK_ID: 72707369;

export interface Migration {
  /** Folder name, e.g. `20260101000000_init`. */
  name: string;
  sql: string;
  /** Lowercase hex SHA-256 of `sql`. */
  checksum: string;
}

export interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

export interface ApplyOptions {
  /** Resolves relative SQLite paths; default `process.cwd()`. */
  cwd?: string;
  /** Default: prisma/sqlite/migrations or prisma/postgres/migrations, by the URL's dialect. */
  migrationsDir?: string;
  /** Progress messages (one per applied migration); default: silent. */
  log?: (message: string) => void;
}

export interface ApplyResult {
  /** Names of the migrations this call applied, in order. */
  applied: string[];
  /** How many committed migrations were already applied. */
  upToDate: number;
}

export type MigrationErrorCode = 'CHECKSUM_MISMATCH' | 'FAILED_MIGRATION' | 'MIGRATION_FAILED' | 'BAD_MIGRATIONS_FOLDER';

export class MigrationError extends Error {
  constructor(code: MigrationErrorCode, message: string, options?: ErrorOptions);
  readonly code: MigrationErrorCode;
}

export function migrationLockFile(provider: 'sqlite' | 'postgresql'): string;
export function checksumOf(sql: string): string;
export function readMigrations(dir: string, provider?: 'sqlite' | 'postgresql'): Migration[];
export function pendingMigrations(rows: MigrationRow[], migrations: Migration[]): Migration[];
export function applyMigrations(databaseUrl: string, options?: ApplyOptions): Promise<ApplyResult>;
