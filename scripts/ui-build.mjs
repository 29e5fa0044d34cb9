/**
 * `npm run ui:build`: bundles the browser side of both doors with esbuild, from the same shared components
 * (app/_components/notes) behind a host adapter per door (lib/ui/*-host.ts):
 *
 * - the Forge Custom UI (forge/src/<module>.tsx) into the static folders the manifest's `resources` point at
 *   (forge/static/<module>/main.js, main.css and chunks/, beside the committed index.html). Forge hosts these
 *   files itself; the app's server is not involved.
 * - the Connect iframe pages (app/connect/<page>/ui.tsx) into public/ui/connect/, which Next serves as static
 *   files. Their names carry a content hash, so they are served immutable (next.config.js) and a panel that
 *   opens again fetches nothing but its shell. The shell (lib/http/iframe-page.ts) names them through
 *   lib/http/iframe-assets.generated.ts, which this build writes (not in git; `postinstall` builds once, so
 *   a fresh clone type-checks).
 *
 * esbuild, not Next.js: what a page needs before it can show anything is React, the notes UI and the host's
 * adapter; Next's App Router runtime would add about 50 KiB gzipped to every panel (docs/performance.md).
 * esbuild reads the same tsconfig paths and JSX settings and bundles everything in about a second.
 *
 * What each panel downloads before it can show anything is kept small (docs/performance.md):
 * - ES modules with code splitting: code only reached through `import()` (@forge/bridge's ADF renderer and
 *   its iframe-resizer) goes to chunks/ and is fetched only if called; code the Connect pages share (React,
 *   the notes UI) is one chunk, cached once for both. Module scripts come from the page's own origin, so a
 *   strict CSP (`script-src 'self'`) still holds.
 * - Atlaskit's feature-flag fallback, Atlassian's Statsig client, is replaced by lib/ui/feature-gates-off.ts,
 *   which gives the answers that client gives in an app's iframe (every gate off).
 *
 *   npm run ui:build             production bundles (minified)
 *   npm run ui:build -- --dev    readable bundles with source maps
 *   npm run ui:build -- --watch  as --dev, rebuilt on every change (npm run dev runs this)
 */
import { context } from 'esbuild';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CONNECT_UI_ASSETS_MODULE, CONNECT_UI_ENTRIES, CONNECT_UI_OUTDIR, CONNECT_UI_PATH, FORGE_UI_ENTRIES } from './ui-entries.mjs';

const root = path.resolve(import.meta.dirname, '..');
const SOURCES = new Set([...FORGE_UI_ENTRIES, ...CONNECT_UI_ENTRIES].map((e) => e.source));

/** Where Atlaskit's platform flags land in the browser builds. */
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
 * @typedef {{ bytes: number, gzipBytes: number }} Size
 * @typedef {{ door: 'forge' | 'connect', name: string, script: string, js: Size, css: Size, lazyJs: Size }} BuiltPage
 */

/**
 * Builds every entry of both doors; returns, per page, what a browser fetches when it opens (the entry
 * script and the chunks it imports statically, its CSS) in bytes and gzipped bytes, from esbuild's metafile.
 * `script` is the entry's file, relative to the repository (Forge) or as the shell names it (Connect).
 *
 * @param {{ dev?: boolean, watch?: boolean }} [options]
 * @returns {Promise<BuiltPage[]>}
 * @example const pages = await buildUi(); console.log(pages.find((p) => p.name === 'issue-notes')?.js.gzipBytes);
 */
export async function buildUi({ dev = false, watch = false } = {}) {
  const options = {
    absWorkingDir: root,
    bundle: true,
    format: /** @type {const} */ ('esm'),
    splitting: true,
    platform: /** @type {const} */ ('browser'),
    target: ['es2022'],
    jsx: /** @type {const} */ ('automatic'),
    minify: !dev,
    sourcemap: dev,
    legalComments: /** @type {const} */ ('none'),
    metafile: true,
    define: { 'process.env.NODE_ENV': JSON.stringify(dev ? 'development' : 'production') },
    logLevel: /** @type {const} */ ('warning'),
  };
  /** @type {BuiltPage[]} */
  const results = [];
  for (const entry of FORGE_UI_ENTRIES) {
    // Chunk names carry a content hash: old ones would pile up build after build.
    rmSync(path.join(root, entry.outdir, 'chunks'), { recursive: true, force: true });
    const ctx = await context({ ...options, entryPoints: { main: entry.source }, outdir: entry.outdir, chunkNames: 'chunks/[name]-[hash]', plugins: [featureGatesOff] });
    const { metafile } = await ctx.rebuild();
    results.push({ door: 'forge', name: path.basename(entry.outdir), ...initialLoad(metafile, entry.source) });
    if (watch) await ctx.watch();
    else await ctx.dispose();
  }

  // The Connect pages in one build, so what they share is one chunk. On every (re)build: the shell's names
  // written, the previous build's files removed.
  const ctx = await context({
    ...options,
    entryPoints: Object.fromEntries(CONNECT_UI_ENTRIES.map((e) => [e.name, e.source])),
    outdir: CONNECT_UI_OUTDIR,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [featureGatesOff, { name: 'connect-assets', setup: (build) => build.onEnd((result) => result.metafile && publishConnectAssets(result.metafile)) }],
  });
  const { metafile } = await ctx.rebuild();
  for (const entry of CONNECT_UI_ENTRIES) {
    const page = initialLoad(metafile, entry.source);
    results.push({ door: 'connect', name: entry.name, ...page, script: servedAt(page.script) });
  }
  if (watch) await ctx.watch();
  else await ctx.dispose();
  return results;
}

/** The URL path a Connect output is served at (public/ui/connect/x.js → /ui/connect/x.js). @param {string} file */
const servedAt = (file) => `${CONNECT_UI_PATH}/${path.relative(CONNECT_UI_OUTDIR, file).split(path.sep).join('/')}`;

/**
 * Writes CONNECT_UI_ASSETS_MODULE (only when it changes, so `next dev` reloads only then) and removes files
 * of earlier builds from CONNECT_UI_OUTDIR.
 * @param {import('esbuild').Metafile} metafile
 */
function publishConnectAssets(metafile) {
  const pages = Object.fromEntries(CONNECT_UI_ENTRIES.map((entry) => {
    const { script, imports, styles } = entryFiles(metafile, entry.source);
    return [entry.name, { script: servedAt(script), imports: imports.map(servedAt), styles: styles.map(servedAt) }];
  }));
  const source = `// Written by scripts/ui-build.mjs (npm run ui:build): the files each Connect iframe page's shell loads.
// Not in git: the names carry the content's hash.
export const IFRAME_ASSETS = ${JSON.stringify(pages, null, 2)} as const;
`;
  const file = path.join(root, CONNECT_UI_ASSETS_MODULE);
  if (!existsSync(file) || readFileSync(file, 'utf8') !== source) writeFileSync(file, source);

  const current = new Set(Object.keys(metafile.outputs).map((f) => path.resolve(root, f)));
  const dir = path.join(root, CONNECT_UI_OUTDIR);
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !current.has(file)) rmSync(file);
  }
}

/**
 * The output files of the entry built from `source`: its script, the chunks it imports statically (the
 * browser fetches them before running it), its CSS, and the chunks only `import()` reaches (for any entry).
 * @param {import('esbuild').Metafile} metafile
 * @param {string} source
 */
function entryFiles(metafile, source) {
  const script = Object.keys(metafile.outputs).find((f) => metafile.outputs[f].entryPoint === source);
  if (!script) throw new Error(`${source} was not built`);
  /** The file and the chunks it imports statically, transitively. @param {string} file */
  const staticClosure = (file, seen = new Set()) => {
    if (seen.has(file)) return seen;
    seen.add(file);
    for (const i of metafile.outputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) staticClosure(i.path, seen);
    return seen;
  };
  const loaded = staticClosure(script);
  // esbuild's metafile lists no `import()` of a chunk (and calls such chunks entry points), so what none of
  // the pages loads statically is what is fetched only on demand.
  const atLoad = new Set(Object.keys(metafile.outputs).filter((f) => SOURCES.has(metafile.outputs[f].entryPoint ?? '')).flatMap((f) => [...staticClosure(f)]));
  const css = metafile.outputs[script].cssBundle;
  return {
    script,
    imports: [...loaded].filter((f) => f !== script),
    styles: css ? [css] : [],
    lazy: Object.keys(metafile.outputs).filter((f) => f.endsWith('.js') && !atLoad.has(f)),
  };
}

/** Sizes of what the page built from `source` fetches at load (its script and static imports; its CSS) and on demand. */
function initialLoad(/** @type {import('esbuild').Metafile} */ metafile, /** @type {string} */ source) {
  /** @returns {Size} */
  const size = (/** @type {string[]} */ files) => {
    let bytes = 0;
    let gzipBytes = 0;
    for (const file of files) {
      const body = readFileSync(path.join(root, file));
      bytes += body.length;
      gzipBytes += gzipSync(body).length;
    }
    return { bytes, gzipBytes };
  };
  const { script, imports, styles, lazy } = entryFiles(metafile, source);
  return { script, js: size([script, ...imports]), css: size(styles), lazyJs: size(lazy) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const watch = process.argv.includes('--watch');
  const dev = watch || process.argv.includes('--dev');
  const started = Date.now();
  const built = await buildUi({ dev, watch });
  const kib = (/** @type {number} */ n) => `${(n / 1024).toFixed(1)} KiB`;
  for (const b of built) {
    console.log(`[ui:build] ${b.door} ${b.name}: ${kib(b.js.bytes)} JS (${kib(b.js.gzipBytes)} gzipped) + ${kib(b.css.gzipBytes)} CSS gzipped at load; ${kib(b.lazyJs.gzipBytes)} gzipped on demand`);
  }
  console.log(`[ui:build] done in ${Date.now() - started} ms${watch ? '; watching for changes' : ''}`);
}
