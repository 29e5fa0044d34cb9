export interface SchemaDiff {
  /** True when nothing separates the two sides. */
  empty: boolean;
  /** The SQL migration from the first side to the schema (`-- This is an empty migration.` when empty). */
  script: string;
}

/** Replays the migrations in `migrationsDir` into a shadow database and diffs the result with `schema` (a full schema file). */
export function diffMigrationsToSchema(input: { dialect: 'sqlite' | 'postgresql'; migrationsDir: string; schema: string }): Promise<SchemaDiff>;

/** Diffs the live database at `databaseUrl` (honouring `?schema=` on PostgreSQL) with `schema`. */
export function diffDatabaseToSchema(input: { databaseUrl: string; schema: string; cwd?: string }): Promise<SchemaDiff>;
