export type Dialect = 'sqlite' | 'postgresql';

export const ROOT: string;
export const MODELS_FILE: string;
export const DIALECTS: Record<Dialect, { provider: Dialect; dir: string; client: 'sqlite' | 'postgres' }>;
export function schemaPath(dialect: Dialect): string;
export function migrationsPath(dialect: Dialect): string;
/** The provider-specific schema file for `models` (default: prisma/models.prisma). */
export function renderSchema(dialect: Dialect, models?: string): string;
export function writeSchemas(): string[];
export function staleSchemas(): string[];
