/**
 * forge/manifest.yml, the sample as a Forge-native app, checked by Atlassian's own validator (the
 * @forge/manifest package the Forge CLI runs), as a fresh clone has it: the Custom UI resources point at
 * folders whose index.html is committed, and the bundles beside it come from `npm run ui:build`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validate } from '@forge/manifest';
import { parse } from 'yaml';
import { FORGE_UI_ENTRIES } from '../../scripts/ui-entries.mjs';
import { afterEach, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const MANIFEST = path.join(ROOT, 'forge/manifest.yml');
const manifest = parse(readFileSync(MANIFEST, 'utf8'));
const savedAppUrl = process.env.APP_URL;

afterEach(() => {
  if (savedAppUrl === undefined) delete process.env.APP_URL;
  else process.env.APP_URL = savedAppUrl;
});

// That it passes @forge/manifest with APP_URL set is test/forge/shipped-manifests.test.ts's job, with every
// other manifest the template ships or generates.
it('refuses to validate without APP_URL: the remote baseUrl has no default to deploy by mistake', { timeout: 120_000 }, async () => {
  delete process.env.APP_URL;
  const result = await validate(false, MANIFEST);
  expect(result.success).toBe(false);
  expect(JSON.stringify(result.errors)).toContain('APP_URL');
});

it('the Custom UI build writes where the resources point, each folder with its committed index.html', () => {
  const resourceDirs = manifest.resources.map((r: { path: string }) => path.join('forge', r.path)).sort();
  expect(FORGE_UI_ENTRIES.map((e) => e.outdir).sort()).toEqual(resourceDirs);
  for (const dir of resourceDirs) expect(existsSync(path.join(ROOT, dir, 'index.html'))).toBe(true);
});
