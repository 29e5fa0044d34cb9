export type VercelBuildPlan =
  | { ok: false; deployment: string; problems: string[] }
  | {
      ok: true;
      /** VERCEL_ENV: production, preview or development (when unset). */
      deployment: string;
      /** Whether this build applies pending migrations. */
      migrate: boolean;
      /** Why it does or does not migrate, for the build log. */
      reason: string;
      /** The URL migrations use: DATABASE_URL_UNPOOLED when set, else DATABASE_URL. */
      migrationUrl: string;
    };

export function vercelBuildPlan(env: Record<string, string | undefined>): VercelBuildPlan;
export function describeDatabase(url: string): string;
