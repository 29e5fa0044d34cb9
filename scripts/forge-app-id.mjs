/**
 * The Forge app id of a manifest (`app.id`): what FORGE_APP_ID must be for the app to accept the
 * invocation tokens of that Forge app. Read from the file, so `npm run dev` and the e2e server never
 * carry a copy that could drift from it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** @param {string} manifestPath @returns {string} */
export function forgeAppId(manifestPath) {
  const id = parse(readFileSync(manifestPath, 'utf8'))?.app?.id;
  if (typeof id !== 'string') throw new Error(`${manifestPath} has no app.id.`);
  return id;
}
