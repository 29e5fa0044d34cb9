/**
 * The simulator's install-signing key: one RSA key pair, generated on first start and kept in the data
 * directory, so an app that cached the public key by `kid` keeps working across restarts. Atlassian
 * publishes its public keys at https://connect-install-keys.atlassian.com/<kid>; the simulator serves
 * its own at /install-keys/<kid> (see server.mjs).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * @typedef {object} InstallKey
 * @property {string} kid
 * @property {string} privateKeyPem PKCS#8
 * @property {string} publicKeyPem  SPKI, what the key server returns
 */

/**
 * @param {string} dataDir
 * @returns {InstallKey}
 * @example const key = loadOrCreateInstallKey('.data/host')
 */
export function loadOrCreateInstallKey(dataDir) {
  return loadOrCreateKeyPair(path.join(dataDir, 'install-key.json'));
}

/**
 * The key that signs Forge Invocation Tokens, apart from the install key (Atlassian's are separate too).
 * Its public half is served as a JWKS at /forge/jwks.json, which the app trusts through FORGE_JWKS_URL.
 * @param {string} dataDir
 * @returns {InstallKey}
 */
export function loadOrCreateForgeKey(dataDir) {
  return loadOrCreateKeyPair(path.join(dataDir, 'forge-key.json'));
}

/** @param {string} file @returns {InstallKey} */
function loadOrCreateKeyPair(file) {
  const dataDir = path.dirname(file);
  if (existsSync(file)) {
    const key = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof key.kid === 'string' && typeof key.privateKeyPem === 'string' && typeof key.publicKeyPem === 'string') return key;
    throw new Error(`${file} is not a key file written by the simulator; delete it to generate a new key.`);
  }
  mkdirSync(dataDir, { recursive: true });
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const key = {
    kid: randomUUID(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
  writeFileSync(file, JSON.stringify(key, null, 2) + '\n', { mode: 0o600 });
  return key;
}
