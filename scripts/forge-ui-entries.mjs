/**
 * The Forge Custom UI entries: each module's source and the folder forge/manifest.yml's `resources` point
 * at (its committed index.html loads the main.js and main.css that `npm run forge:build` writes there).
 */
export const FORGE_UI_ENTRIES = [
  { source: 'forge/src/issue-panel.tsx', outdir: 'forge/static/issue-panel' },
  { source: 'forge/src/global-page.tsx', outdir: 'forge/static/global-page' },
];
