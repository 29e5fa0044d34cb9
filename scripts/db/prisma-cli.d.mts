/** Runs `prisma <args>` offline in the project root. */
export function runPrisma(args: string[]): Promise<{ code: number; output: string }>;
/** Formats prisma/models.prisma in place with `prisma format`. */
export function formatModels(): Promise<void>;
