/**
 * `npm run forge:build`: bundles the Forge Custom UI (forge/src/<module>.tsx) into the static folders the
 * manifest's `resources` point at (forge/static/<module>/main.js, main.css and chunks/, beside the
 * committed index.html). Forge hosts these files itself; the app's server is not involved.
 *
 * esbuild, not Next.js: Custom UI must be plain static files with relative URLs (Forge serves them from
 * its CDN under a path it chooses), and a Next export would add a router, absolute /_next/ paths and a
 * second build. esbuild reads the same tsconfig paths and JSX settings, bundles React, @atlaskit/button
 * and @forge/bridge in well under a second, and is already a dependency of the toolchain.
 *
 * What each panel downloads before it can show anything is kept small (docs/performance.md):
 * - ES modules with code splitting: code only reached through `import()` (@forge/bridge's ADF renderer and
 *   its iframe-resizer) goes to chunks/ and is fetched only if called. index.html loads main.js as a module
 *   script, from the same origin, so a strict CSP (`script-src 'self'`) still holds.
 * - Atlaskit's feature-flag fallback, Atlassian's Statsig client, is replaced by lib/ui/feature-gates-off.ts,
 *   which gives the answers that client gives in an app's iframe (every gate off).
 *
 *   npm run forge:build             production bundles (minified)
 *   npm run forge:build -- --dev    readable bundles with source maps
 *   npm run forge:build -- --watch  as --dev, rebuilt on every change (npm run dev runs this)
 */
import { context } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { FORGE_UI_ENTRIES } from './forge-ui-entries.mjs';

const root = path.resolve(import.meta.dirname, '..');

/** Where Atlaskit's platform flags land in the browser builds (the same alias is in next.config.js). */
export const FEATURE_GATES_ALIAS = { '@atlaskit/feature-gate-js-client/feature-gates': 'lib/ui/feature-gates-off.ts' };

/** @type {import('esbuild').Plugin} */
const featureGatesOff = {
  name: 'feature-gates-off',
  setup(build) {
    for (const [from, to] of Object.entries(FEATURE_GATES_ALIAS)) {
      const filter = new RegExp(`^${from.replace(/[/.-]/g, '\\$&')}$`);
      build.onResolve({ filter }, () => ({ path: path.join(root, to) }));
    }
  },
};

/**
 * Builds every Custom UI entry; returns, per entry, what a browser fetches when the panel opens (main.js,
 * the chunks it imports statically, main.css) in bytes and gzipped bytes, from esbuild's metafile.
 *
 * @param {{ dev?: boolean, watch?: boolean }} [options]
 * @returns {Promise<Array<{ outdir: string, js: { bytes: number, gzipBytes: number }, css: { bytes: number, gzipBytes: number }, lazyJs: { bytes: number, gzipBytes: number } }>>}
 * @example const [panel] = await buildForgeUi(); console.log(panel.js.gzipBytes);
 */
export async function buildForgeUi({ dev = false, watch = false } = {}) {
  const results = [];
  for (const entry of FORGE_UI_ENTRIES) {
    // Chunk names carry a content hash: old ones would pile up build after build.
    rmSync(path.join(root, entry.outdir, 'chunks'), { recursive: true, force: true });
    const ctx = await context({
      absWorkingDir: root,
      entryPoints: { main: entry.source },
      outdir: entry.outdir,
      chunkNames: 'chunks/[name]-[hash]',
      bundle: true,
      format: 'esm',
      splitting: true,
      platform: 'browser',
      target: ['es2022'],
      jsx: 'automatic',
      minify: !dev,
      sourcemap: dev,
      legalComments: 'none',
      metafile: true,
      plugins: [featureGatesOff],
      define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
      logLevel: 'warning',
    });
    const { metafile } = await ctx.rebuild();
    results.push({ outdir: entry.outdir, ...initialLoad(metafile, entry.outdir) });
    if (watch) await ctx.watch();
    else await ctx.dispose();
  }
  return results;
}

/** Sizes of main.js and its static imports, main.css, and the chunks loaded only on demand. */
function initialLoad(metafile, outdir) {
  const size = (files) => {
    let bytes = 0;
    let gzipBytes = 0;
    for (const file of files) {
      const body = readFileSync(path.join(root, file));
      bytes += body.length;
      gzipBytes += gzipSync(body).length;
    }
    return { bytes, gzipBytes };
  };
  const main = path.join(outdir, 'main.js');
  const loaded = new Set();
  const visit = (file) => {
    if (loaded.has(file)) return;
    loaded.add(file);
    for (const i of metafile.outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(main);
  const js = Object.keys(metafile.outputs).filter((f) => f.endsWith('.js'));
  return {
    js: size([...loaded]),
    css: size(Object.keys(metafile.outputs).filter((f) => f.endsWith('.css'))),
    lazyJs: size(js.filter((f) => !loaded.has(f))),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const watch = process.argv.includes('--watch');
  const dev = watch || process.argv.includes('--dev');
  const started = Date.now();
  const built = await buildForgeUi({ dev, watch });
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  for (const b of built) {
    console.log(`[forge:build] ${b.outdir}: ${kib(b.js.bytes)} JS (${kib(b.js.gzipBytes)} gzipped) + ${kib(b.css.gzipBytes)} CSS gzipped at load; ${kib(b.lazyJs.gzipBytes)} gzipped on demand`);
  }
  console.log(`[forge:build] done in ${Date.now() - started} ms${watch ? '; watching for changes' : ''}`);
}
