// The product's side of an install, for the benchmark: an install-key server on loopback and a signed
// `installed` callback, built from the host simulator's own key and token code.
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateInstallKey } from '../host/lib/keys.mjs';
import { signInstallToken } from '../host/lib/tokens.mjs';

export async function startInstallKeyServer() {
  const key = loadOrCreateInstallKey(mkdtempSync(path.join(tmpdir(), 'bench-keys-')));
  const server = createServer((req, res) => {
    if (req.url === `/${key.kid}`) res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(key.publicKeyPem);
    else res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { key, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

/** fetch() options for the `installed` callback of `tenant` to the app at `appUrl`. */
export function signedInstall(keys, tenant, appUrl) {
  const url = `${appUrl}/api/lifecycle/installed`;
  const token = signInstallToken({ key: keys.key, clientKey: tenant.clientKey, appBaseUrl: appUrl, url });
  const payload = {
    key: JSON.parse(readFileSync(new URL('../atlassian-connect.json', import.meta.url), 'utf8')).key,
    clientKey: tenant.clientKey,
    sharedSecret: tenant.sharedSecret,
    baseUrl: tenant.baseUrl,
    productType: 'jira',
    description: 'Benchmark site',
    eventType: 'installed',
  };
  return { method: 'POST', headers: { authorization: `JWT ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) };
}
