/**
 * Builds template/ (the project `create-connect-next` copies) from the repository this package lives in.
 * Runs as `prepack`, so `npm pack` and `npm publish` always ship the template of the checkout they ran in,
 * and the published package works offline: nothing is downloaded when it runs.
 *
 * What goes in: the checkout as git sees it (`git ls-files --cached --others --exclude-standard`: tracked
 * files and new ones that are not ignored, as they are in the working tree, so the template is what this
 * checkout's tests ran against), minus this package, CI configuration and the test that packs this package.
 * Publish from a clean checkout: a warning says when there are uncommitted changes. Dotfiles npm would strip
 * from a package are renamed (see lib/dotfiles.mjs) and restored by the create command.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { packedName } from '../lib/dotfiles.mjs';

const packageDir = path.resolve(import.meta.dirname, '..');
const repoRoot = path.resolve(packageDir, '../..');
const templateDir = path.join(packageDir, 'template');
const self = path.relative(repoRoot, packageDir).split(path.sep).join('/') + '/';

/** Paths (prefixes) that belong to the template's own repository, not to the apps made from it. */
const EXCLUDED = [
  self,
  '.ci/',
  '.github/',
  'node_modules/',
  '.data/',
  // Packs and runs this package: it needs the package's source, which a generated app does not have.
  'test/template/create.test.ts',
];

if (!existsSync(path.join(repoRoot, 'atlassian-connect.json'))) {
  console.error(`${repoRoot} is not the connect-next repository: the template is built from the repository this package is in.`);
  process.exit(1);
}

let listed;
try {
  listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
} catch (err) {
  console.error(`git ls-files failed in ${repoRoot}: the template is built from a git checkout.\n${/** @type {Error} */ (err).message}`);
  process.exit(1);
}

const files = [...new Set(listed.split('\0').filter(Boolean))]
  .filter((file) => !EXCLUDED.some((prefix) => file === prefix || file.startsWith(prefix)))
  .filter((file) => !file.split('/').includes('node_modules'))
  // Deleted in the working tree but not yet committed: the template follows the working tree.
  .filter((file) => existsSync(path.join(repoRoot, file)) && statSync(path.join(repoRoot, file)).isFile());

rmSync(templateDir, { recursive: true, force: true });
for (const file of files) {
  const parts = file.split('/');
  const target = path.join(templateDir, ...parts.slice(0, -1), packedName(parts[parts.length - 1]));
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(path.join(repoRoot, file), target);
}
console.log(`Built template/ from ${files.length} files of ${repoRoot} (git ls-files).`);
const dirty = execFileSync('git', ['status', '--porcelain', '--', '.', ...EXCLUDED.map((p) => `:!${p}`)], { cwd: repoRoot, encoding: 'utf8' }).trim();
if (dirty) console.warn(`Warning: the template includes uncommitted changes (${dirty.split('\n').length} paths; git status). Publish from a clean checkout.`);
