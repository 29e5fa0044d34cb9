/**
 * `npm run forge:build`: bundles the Forge Custom UI (forge/src/<module>.tsx) into the static folders the
 * manifest's `resources` point at (forge/static/<module>/main.js and main.css, beside the committed
 * index.html). Forge hosts these files itself; the app's server is not involved.
 *
 * esbuild, not Next.js: Custom UI must be plain static files with relative URLs (Forge serves them from
 * its CDN under a path it chooses), and a Next export would add a router, absolute /_next/ paths and a
 * second build. esbuild reads the same tsconfig paths and JSX settings, bundles React, @atlaskit/button
 * and @forge/bridge in well under a second, and is already a dependency of the toolchain.
 *
 *   npm run forge:build             production bundles (minified)
 *   npm run forge:build -- --dev    readable bundles with source maps
 *   npm run forge:build -- --watch  as --dev, rebuilt on every change (npm run dev runs this)
 */
import { context } from 'esbuild';
import path from 'node:path';
import { FORGE_UI_ENTRIES } from './forge-ui-entries.mjs';

const root = path.resolve(import.meta.dirname, '..');
const watch = process.argv.includes('--watch');
const dev = watch || process.argv.includes('--dev');


const started = Date.now();
for (const entry of FORGE_UI_ENTRIES) {
  const ctx = await context({
    absWorkingDir: root,
    entryPoints: { main: entry.source },
    outdir: entry.outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    minify: !dev,
    sourcemap: dev,
    legalComments: 'none',
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
    logLevel: 'warning',
  });
  await ctx.rebuild();
  if (watch) await ctx.watch();
  else await ctx.dispose();
}
console.log(`[forge:build] ${FORGE_UI_ENTRIES.map((e) => e.outdir).join(', ')} in ${Date.now() - started} ms${watch ? '; watching for changes' : ''}`);
