/**
 * `npm run rename -- --key com.acme.notes --name "Acme Notes"`: gives a clone of the template its own
 * identity, exactly as `npx create-connect-next` does for a new project (the same module:
 * scripts/template/identity.mjs). Prints what changed; running it again changes nothing.
 *
 *   --key <app key>        the Connect app key: letters, digits, "-", "." and "_", at most 64
 *   --name <display name>  the app's name in Atlassian, the README title and the page title
 *   --package <npm name>   the npm package name (default: made from --name, e.g. "acme-notes")
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { applyIdentity, IdentityError, packageNameFrom, readIdentity } from './template/identity.mjs';

const USAGE = `Usage: npm run rename -- [--key <app key>] [--name <display name>] [--package <npm name>]

  --key      the Connect app key, e.g. com.acme.notes (letters, digits, "-", "." and "_", at most 64)
  --name     the display name, e.g. "Acme Notes" (descriptor name, README title, page title)
  --package  the npm package name (default: made from --name)`;

const root = path.resolve(import.meta.dirname, '..');

let values;
try {
  ({ values } = parseArgs({
    options: { key: { type: 'string' }, name: { type: 'string' }, package: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  }));
} catch (err) {
  console.error(`${/** @type {Error} */ (err).message}\n\n${USAGE}`);
  process.exit(2);
}

const current = readIdentity(root);
if (values.help || (values.key === undefined && values.name === undefined && values.package === undefined)) {
  console.log(`${USAGE}\n\nNow: key ${current.key}, name "${current.name}", package ${current.packageName}`);
  process.exit(values.help ? 0 : 2);
}

const packageName = values.package ?? (values.name !== undefined ? packageNameFrom(values.name) : undefined);
let changes;
try {
  changes = applyIdentity(root, { key: values.key, name: values.name, packageName });
} catch (err) {
  if (!(err instanceof IdentityError)) throw err;
  console.error(`Nothing changed: ${err.message}`);
  process.exit(1);
}

if (!changes.length) {
  console.log(`Nothing to change: key ${current.key}, name "${current.name}", package ${current.packageName}.`);
  process.exit(0);
}
const width = Math.max(...changes.map((c) => `${c.file} ${c.field}`.length));
console.log('Changed:');
for (const c of changes) console.log(`  ${`${c.file} ${c.field}`.padEnd(width)}  ${c.from} → ${c.to}`);
if (values.key !== undefined && values.key !== current.key) {
  console.log(`\nThe app key is the app's identity in Atlassian: sites where ${current.key} is installed keep that app.
Install ${values.key} there (npm run dev does so in the simulator) and uninstall the old one.`);
}
