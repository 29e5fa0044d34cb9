#!/usr/bin/env node
// npx create-connect-next my-app — see lib/create.mjs.
import { main } from '../lib/create.mjs';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.warn(`Warning: Node.js ${process.versions.node}: apps made from connect-next need Node.js 20.19 or later (production: 24).`);
}
process.exitCode = await main(process.argv.slice(2));
