import type { Readable, Writable } from 'node:stream';

export interface CreateContext {
  /** Where a relative folder is resolved; default process.cwd(). */
  cwd?: string;
  /** Default process.env: npm_config_user_agent picks the package manager. */
  env?: NodeJS.ProcessEnv;
  input?: Readable & { isTTY?: boolean };
  output?: Writable;
  errorOutput?: Writable;
  /** Default: the package's template/ folder. */
  templateDir?: string;
  /** Ask questions; default: when `input` is a terminal and --yes is not given. */
  interactive?: boolean;
}

export const USAGE: string;
export const DEFAULT_TEMPLATE_DIR: string;
export class CreateError extends Error {
  readonly exitCode: number;
}
/** Runs `create-connect-next <argv>`; resolves with the exit code. */
export function main(argv: string[], context?: CreateContext): Promise<number>;
export function packageManager(userAgent: string | undefined): 'npm' | 'pnpm' | 'yarn' | 'bun';
export function parseOptions(argv: string[]): {
  folder?: string;
  name?: string;
  key?: string;
  db?: 'sqlite' | 'postgres';
  databaseUrl?: string;
  install: boolean;
  git: boolean;
  yes: boolean;
  help: boolean;
};
