/**
 * The browser bundles `npm run ui:build` (scripts/ui-build.mjs) makes, for both doors:
 *
 * - FORGE_UI_ENTRIES: each Custom UI module's source and the folder forge/manifest.yml's `resources` point at
 *   (its committed index.html loads the main.js and main.css written there). Forge hosts these files itself.
 * - CONNECT_UI_ENTRIES: each Connect iframe page's source, bundled into CONNECT_UI_OUTDIR (served by Next as
 *   static files under CONNECT_UI_PATH) with content-hashed names. The page's route answers a shell that loads
 *   them (lib/http/iframe-page.ts); the names it uses are in CONNECT_UI_ASSETS_MODULE, written by the build.
 */
export const FORGE_UI_ENTRIES = [
  { source: 'forge/src/issue-panel.tsx', outdir: 'forge/static/issue-panel' },
  { source: 'forge/src/global-page.tsx', outdir: 'forge/static/global-page' },
];

export const CONNECT_UI_ENTRIES = [
  { name: 'issue-notes', source: 'app/connect/issue-notes/ui.tsx' },
  { name: 'overview', source: 'app/connect/overview/ui.tsx' },
];

export const CONNECT_UI_OUTDIR = 'public/ui/connect';
export const CONNECT_UI_PATH = '/ui/connect';
export const CONNECT_UI_ASSETS_MODULE = 'lib/http/iframe-assets.generated.ts';
