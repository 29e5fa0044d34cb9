/**
 * The layout rule of STYLE.md: `lib/` is what the deployed app imports, and nothing else. Tooling (the Forge
 * CLI wrapper, the manifest generator) lives beside the scripts that run it and may import `lib/`; never the
 * reverse. Checked over the real import graph, read with TypeScript's own pre-processor.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { FEATURE_GATES_ALIAS } from '../../scripts/ui-build.mjs';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CODE = /\.(tsx?|mts|mjs|js)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' || entry.name === 'node_modules' ? [] : filesUnder(rel);
    return CODE.test(entry.name) && !/\.d\.(m?ts)$/.test(entry.name) ? [rel] : [];
  });
}

/** The project files a module imports (relative and `@/` specifiers; packages are not ours). */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(path.join(ROOT, file), 'utf8'), true, true);
  return importedFiles.flatMap(({ fileName }) => {
    const base = fileName.startsWith('@/') ? path.join(ROOT, fileName.slice(2)) : fileName.startsWith('.') ? path.resolve(ROOT, path.dirname(file), fileName) : undefined;
    if (!base) return [];
    const found = ['', '.ts', '.tsx', '.mts', '.mjs', '.js', '/index.ts', '/index.tsx'].map((ext) => base + ext).find((f) => existsSync(f) && statSync(f).isFile());
    return [path.relative(ROOT, found ?? base)];
  });
}

// What is deployed: the Next.js app (routes, pages, instrumentation, and the Connect iframe pages' browser
// entries beside their routes), the Custom UI bundles Forge hosts, and the modules the UI build (scripts/ui-build.mjs)
// puts in place of a package's.
const ENTRIES = [...filesUnder('app'), ...filesUnder('forge/src'), 'instrumentation.ts', 'instrumentation-node.ts', ...Object.values(FEATURE_GATES_ALIAS)];

function reachableFrom(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    if (existsSync(path.join(ROOT, file))) queue.push(...importsOf(file));
  }
  return seen;
}

describe('lib/ is only what the deployed app imports', () => {
  it('nothing in lib/ imports scripts/ (tooling may import lib/, never the reverse)', () => {
    const upward = filesUnder('lib').flatMap((file) => importsOf(file).filter((to) => to.startsWith(`scripts${path.sep}`)).map((to) => `${file} -> ${to}`));
    expect(upward).toEqual([]);
  });

  it('every module in lib/ is reached from the app, its instrumentation or the Custom UI', () => {
    const reached = reachableFrom(ENTRIES);
    expect(filesUnder('lib').filter((file) => !reached.has(file))).toEqual([]);
  });

  it('lib/forge/ holds the Forge door, not the CLI wrapper or the manifest tooling', () => {
    const tooling = ['cli', 'manifest', 'manifest-merge', 'manifest-command', 'validate-manifest'];
    expect(filesUnder('lib/forge').filter((file) => tooling.includes(path.basename(file, '.ts')))).toEqual([]);
    expect(tooling.every((name) => existsSync(path.join(ROOT, 'scripts/forge', `${name}.ts`)))).toBe(true);
  });
});
