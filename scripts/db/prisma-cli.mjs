/**
 * Runs the project's Prisma CLI offline. Every Prisma 7 command first makes sure the native schema engine is
 * downloaded and fails where Prisma's binary host is unreachable; the commands used here (`generate`, `format`)
 * never run that engine, so pointing PRISMA_SCHEMA_ENGINE_BINARY at any executable satisfies the check.
 * Types: prisma-cli.d.mts.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './schemas.mjs';

const require = createRequire(import.meta.url);
const cli = path.join(path.dirname(require.resolve('prisma/package.json')), 'build/index.js');

/**
 * Runs `prisma <args>` in the project root; resolves with its exit code and combined output.
 * @example await runPrisma(['format', '--schema', 'prisma/models.prisma'])
 */
export function runPrisma(args) {
  const env = {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || process.execPath,
    CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? '1',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: 1, output: String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Formats prisma/models.prisma in place as `prisma format` would (so the generated schemas are formatted too). */
export async function formatModels() {
  const { code, output } = await runPrisma(['format', '--schema', 'prisma/models.prisma']);
  if (code !== 0) throw new Error(`prisma format failed for prisma/models.prisma:\n${output}`);
}
