// The Forge app id rule, shared by the app (lib/forge/config.ts: FORGE_APP_ID, --app-id, the manifest
// checks) and the simulator, which installs forge/manifest.yml (host/lib/forge-manifest.mjs). Plain
// JavaScript so the simulator runs it without a build. Types: app-id.d.mts.

/**
 * Forge app ids are Atlassian resource identifiers: `ari:cloud:ecosystem::app/` and a UUID, as printed by
 * `forge register` and written to `app.id` in manifest.yml.
 * https://developer.atlassian.com/platform/forge/manifest-reference/#app
 */
export const FORGE_APP_ID_PATTERN = /^ari:cloud:ecosystem::app\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
