/**
 * A minimal Connect app for testing the simulator itself, independent of the Next.js app: it checks
 * everything the simulator sends with atlassian-jwt (Atlassian's reference implementation), records what
 * it received, and serves iframe pages with buttons that exercise the AP API.
 *
 *   node host/testing/fake-app.mjs [port]     prints "fake app listening on <url>"; HOST_URL names the simulator
 *
 * Install `<url>/atlassian-connect.json` into a simulated site. What the app received is at
 * GET <url>/_test/records; POST <url>/_test/webhook-answers {"statuses": [503]} sets the answers to the
 * next webhooks. (The end-to-end suite runs it as a child process: test runners transpile imported
 * modules, and this file is meant to stay plain Node.)
 */
import { createServer } from 'node:http';
import { AsymmetricAlgorithm, createQueryStringHash, decodeAsymmetric, decodeSymmetric, encodeSymmetric, fromMethodAndUrl, getKeyId, SymmetricAlgorithm } from 'atlassian-jwt';

export const FAKE_APP_KEY = 'com.example.simulator-fake-app';

/**
 * @param {{ port?: number, key?: string, installKeysUrl: string, oauthUrl?: string }} options
 */
export async function startFakeApp({ port = 0, key = FAKE_APP_KEY, installKeysUrl, oauthUrl }) {
  /** @type {Map<string, { clientKey: string, sharedSecret: string, baseUrl: string, oauthClientId: string }>} */
  const tenants = new Map();
  const app = {
    url: '',
    key,
    tenants,
    /** @type {{ event: string, verified: boolean, reason?: string, claims?: Record<string, unknown>, body: Record<string, unknown> }[]} */
    lifecycle: [],
    /** @type {{ path: string, verified: boolean, reason?: string, headers: Record<string, string | undefined>, body: Record<string, any> }[]} */
    webhooks: [],
    /** Statuses to answer the next webhooks with, in order; then 204. */
    webhookAnswers: /** @type {number[]} */ ([]),
    /** @type {{ path: string, verified: boolean, reason?: string, claims?: Record<string, unknown>, query: Record<string, string> }[]} */
    pages: [],
    close: () => new Promise((resolve) => { server.close(() => resolve(undefined)); server.closeAllConnections(); }),
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', app.url);
    const body = req.method === 'POST' ? await readJson(req) : {};
    try {
      await route(app, { req, res, url, body, installKeysUrl, oauthUrl });
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(/** @type {Error} */ (err).stack));
    }
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(undefined)));
  app.url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`;
  return app;
}

/** @param {string} key @param {string} baseUrl */
export function fakeDescriptor(key, baseUrl) {
  return {
    key,
    name: 'Simulator test app',
    description: 'Checks what the Connect host simulator sends.',
    baseUrl,
    authentication: { type: 'jwt' },
    apiMigrations: { 'context-qsh': true, 'signed-install': true },
    lifecycle: { installed: '/lifecycle/installed', uninstalled: '/lifecycle/uninstalled', enabled: '/lifecycle/enabled', disabled: '/lifecycle/disabled' },
    scopes: ['READ', 'ACT_AS_USER'],
    modules: {
      jiraIssueContents: [{
        key: 'fake-panel',
        name: { value: 'Fake panel' },
        icon: { width: 24, height: 24, url: '/icon.svg' },
        target: { type: 'web_panel', url: '/panel?issueKey={issue.key}&projectKey={project.key}&issueId={issue.id}&projectId={project.id}&unknown={no.such}' },
      }],
      generalPages: [{ key: 'fake-page', name: { value: 'Fake page' }, url: '/page' }],
      webhooks: [
        { event: 'jira:issue_updated', url: '/webhooks/issue-updated?issueKey={issue.key}' },
        { event: 'jira:issue_deleted', url: '/webhooks/issue-deleted' },
      ],
    },
  };
}

/**
 * @param {Awaited<ReturnType<typeof startFakeApp>>} app
 * @param {{ req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, url: URL, body: Record<string, any>, installKeysUrl: string, oauthUrl?: string }} ctx
 */
async function route(app, { req, res, url, body, installKeysUrl, oauthUrl }) {
  const json = (/** @type {number} */ status, /** @type {unknown} */ value) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  const token = (req.headers.authorization ?? '').replace(/^JWT /, '') || url.searchParams.get('jwt') || '';

  if (req.method === 'GET' && url.pathname === '/atlassian-connect.json') return json(200, fakeDescriptor(app.key, app.url));
  if (req.method === 'GET' && url.pathname === '/_test/records') {
    return json(200, { key: app.key, lifecycle: app.lifecycle, webhooks: app.webhooks, pages: app.pages, tenants: [...app.tenants.values()] });
  }
  if (req.method === 'POST' && url.pathname === '/_test/webhook-answers') {
    app.webhookAnswers.push(...(Array.isArray(body.statuses) ? body.statuses.map(Number) : []));
    return res.writeHead(204).end();
  }

  const lifecycle = /^\/lifecycle\/(installed|uninstalled|enabled|disabled)$/.exec(url.pathname);
  if (req.method === 'POST' && lifecycle) {
    const event = lifecycle[1];
    const { sharedSecret, ...shown } = body;
    try {
      let claims;
      if (event === 'installed' || event === 'uninstalled') {
        const kid = getKeyId(token);
        const key = await fetch(`${installKeysUrl}/${encodeURIComponent(kid)}`);
        if (!key.ok) throw new Error(`install key ${kid}: ${key.status}`);
        claims = decodeAsymmetric(token, await key.text(), AsymmetricAlgorithm.RS256);
        if (![].concat(claims.aud).includes(app.url)) throw new Error(`aud ${claims.aud} is not ${app.url}`);
      } else {
        const tenant = app.tenants.get(body.clientKey);
        if (!tenant) throw new Error('unknown clientKey');
        claims = decodeSymmetric(token, tenant.sharedSecret, SymmetricAlgorithm.HS256);
      }
      checkQsh(claims, 'POST', url, app.url);
      if (claims.iss !== body.clientKey) throw new Error('iss is not the clientKey');
      if (claims.exp < Date.now() / 1000) throw new Error('expired');
      if (event === 'installed') app.tenants.set(body.clientKey, { clientKey: body.clientKey, sharedSecret, baseUrl: body.baseUrl, oauthClientId: body.oauthClientId });
      app.lifecycle.push({ event, verified: true, claims, body: { ...shown, hasSharedSecret: typeof sharedSecret === 'string', sharedSecretLength: sharedSecret?.length } });
      return res.writeHead(204).end();
    } catch (err) {
      app.lifecycle.push({ event, verified: false, reason: /** @type {Error} */ (err).message, body: shown });
      return json(401, { error: /** @type {Error} */ (err).message });
    }
  }

  if (req.method === 'POST' && url.pathname.startsWith('/webhooks/')) {
    const headers = {
      identifier: header(req, 'x-atlassian-webhook-identifier'),
      retry: header(req, 'x-atlassian-webhook-retry'),
      flow: header(req, 'x-atlassian-webhook-flow'),
    };
    let verified = true;
    let reason;
    try {
      const claims = verifySymmetric(app, token);
      checkQsh(claims, 'POST', url, app.url);
    } catch (err) {
      verified = false;
      reason = /** @type {Error} */ (err).message;
    }
    app.webhooks.push({ path: `${url.pathname}${url.search}`, verified, reason, headers, body });
    const status = app.webhookAnswers.shift() ?? 204;
    return res.writeHead(status).end();
  }

  if (req.method === 'GET' && (url.pathname === '/panel' || url.pathname === '/page')) {
    let verified = true;
    let reason;
    let claims;
    try {
      claims = verifySymmetric(app, token);
      checkQsh(claims, 'GET', url, app.url);
    } catch (err) {
      verified = false;
      reason = /** @type {Error} */ (err).message;
    }
    app.pages.push({ path: url.pathname, verified, reason, claims, query: Object.fromEntries([...url.searchParams].filter(([k]) => k !== 'jwt')) });
    const allJs = `${url.searchParams.get('xdm_e')}${url.searchParams.get('cp')}/atlassian-connect/all.js`;
    return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(testPage({ verified, reason, claims, allJs, general: url.pathname === '/page' }));
  }

  // The iframe's own API, authenticated by a context token from AP.context.getToken().
  if (req.method === 'GET' && url.pathname === '/check-context-token') {
    try {
      const claims = verifySymmetric(app, token);
      if (claims.qsh !== 'context-qsh') throw new Error(`qsh is ${claims.qsh}, not context-qsh`);
      return json(200, { valid: true, sub: claims.sub, context: claims.context, lifetime: claims.exp - claims.iat });
    } catch (err) {
      return json(401, { valid: false, reason: /** @type {Error} */ (err).message });
    }
  }

  // Server-side calls to the product, as the app (JWT) or as a user (OAuth 2.0 JWT bearer).
  if (req.method === 'GET' && url.pathname === '/call-product') {
    const tenant = [...app.tenants.values()].at(-1);
    if (!tenant) return json(409, { error: 'not installed' });
    const target = `${tenant.baseUrl}${url.searchParams.get('path') ?? '/rest/api/3/issue/NOTE-1?fields=summary'}`;
    const signedFor = url.searchParams.get('tamper') ? `${tenant.baseUrl}/rest/api/3/myself` : target;
    const now = Math.floor(Date.now() / 1000);
    const iss = url.searchParams.get('iss') ?? app.key;
    const jwt = encodeSymmetric({ iss, iat: now, exp: now + 60, qsh: createQueryStringHash(fromMethodAndUrl('GET', signedFor), false, tenant.baseUrl) }, tenant.sharedSecret);
    const answer = await fetch(target, { headers: { authorization: `JWT ${jwt}`, accept: 'application/json' } });
    return json(200, { status: answer.status, body: await answer.json() });
  }
  if (req.method === 'GET' && url.pathname === '/call-as-user') {
    const tenant = [...app.tenants.values()].at(-1);
    if (!tenant || !oauthUrl) return json(409, { error: 'not installed, or no oauthUrl' });
    const now = Math.floor(Date.now() / 1000);
    const assertion = encodeSymmetric({
      iss: `urn:atlassian:connect:clientid:${tenant.oauthClientId}`,
      sub: `urn:atlassian:connect:useraccountid:${url.searchParams.get('accountId')}`,
      tnt: tenant.baseUrl, aud: oauthUrl, iat: now, exp: now + 60,
    }, tenant.sharedSecret);
    const tokenAnswer = await fetch(`${oauthUrl}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, scope: 'READ ACT_AS_USER' }),
    });
    const grant = await tokenAnswer.json();
    if (!tokenAnswer.ok) return json(200, { tokenStatus: tokenAnswer.status, grant });
    const me = await fetch(`${tenant.baseUrl}/rest/api/3/myself`, { headers: { authorization: `Bearer ${grant.access_token}` } });
    return json(200, { tokenStatus: tokenAnswer.status, tokenType: grant.token_type, expiresIn: grant.expires_in, status: me.status, body: await me.json() });
  }

  if (url.pathname === '/icon.svg') return res.writeHead(200, { 'content-type': 'image/svg+xml' }).end('<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24"/>');
  res.writeHead(404).end('not found');
}

/** @param {Awaited<ReturnType<typeof startFakeApp>>} app @param {string} token */
function verifySymmetric(app, token) {
  const iss = decodeSymmetric(token, '', SymmetricAlgorithm.HS256, true).iss;
  const tenant = app.tenants.get(iss);
  if (!tenant) throw new Error(`unknown iss ${iss}`);
  const claims = decodeSymmetric(token, tenant.sharedSecret, SymmetricAlgorithm.HS256);
  if (claims.exp < Date.now() / 1000) throw new Error('expired');
  return claims;
}

/** @param {Record<string, any>} claims @param {string} method @param {URL} url @param {string} baseUrl */
function checkQsh(claims, method, url, baseUrl) {
  const expected = createQueryStringHash(fromMethodAndUrl(method, url.toString()), false, baseUrl);
  if (claims.qsh !== expected) throw new Error(`qsh mismatch for ${method} ${url.pathname}`);
}

/** @param {import('node:http').IncomingMessage} req @param {string} name */
function header(req, name) {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** @param {import('node:http').IncomingMessage} req */
async function readJson(req) {
  let text = '';
  for await (const chunk of req) text += chunk;
  try {
    return text ? JSON.parse(text) : {};
  } catch {
    return { unparsed: text };
  }
}

/** @param {{ verified: boolean, reason?: string, claims?: Record<string, any>, allJs: string, general: boolean }} page */
function testPage({ verified, reason, claims, allJs, general }) {
  const esc = (/** @type {unknown} */ s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><meta charset="utf-8"><title>Fake app</title>
<script src="${esc(allJs)}"${general ? ' data-options="sizeToParent:true"' : ''}></script>
<style>body{font:13px system-ui;margin:8px} output{display:block;font-family:monospace;white-space:pre-wrap}</style></head>
<body><div class="ac-content">
<p>Page JWT: <output data-testid="page-jwt">${verified ? 'valid' : `invalid: ${esc(reason)}`}</output></p>
<p>sub: <output data-testid="sub">${esc(claims?.sub)}</output> context: <output data-testid="jwt-context">${esc(JSON.stringify(claims?.context))}</output></p>
<button id="token">token</button> <output data-testid="token-result"></output>
<button id="context">context</button> <output data-testid="context-result"></output>
<button id="request">request</button> <output data-testid="request-result"></output>
<button id="request-404">request 404</button> <output data-testid="request-404-result"></output>
<button id="request-callback">request callback</button> <output data-testid="request-callback-result"></output>
<button id="flag">flag</button>
<button id="grow">grow</button> <div id="growth"></div>
<button id="unknown">unknown</button> <output data-testid="unknown-result"></output>
<button id="server-call">server call</button> <output data-testid="server-call-result"></output>
</div>
<script>
const show = (id, v) => { document.querySelector('[data-testid="' + id + '"]').textContent = typeof v === 'string' ? v : JSON.stringify(v); };
const on = (id, fn) => document.getElementById(id).addEventListener('click', () => Promise.resolve().then(fn).catch((e) => show(id + '-result', 'error: ' + (e && e.message || JSON.stringify(e)))));
on('token', async () => { const t = await AP.context.getToken(); const r = await fetch('/check-context-token', { headers: { authorization: 'JWT ' + t } }); show('token-result', await r.json()); });
on('context', async () => show('context-result', await AP.context.getContext()));
on('request', async () => { const r = await AP.request('/rest/api/3/myself'); show('request-result', JSON.parse(r.body).displayName + ' ' + r.xhr.status); });
on('request-404', async () => { try { await AP.request({ url: '/rest/api/3/issue/NOPE-9' }); show('request-404-result', 'resolved?!'); } catch (e) { show('request-404-result', 'rejected ' + e.xhr.status); } });
on('request-callback', () => AP.request({ url: '/rest/api/3/issue/NOTE-2?fields=summary', success: (body, status, xhr) => show('request-callback-result', JSON.parse(body).fields.summary + ' ' + xhr.getResponseHeader('Content-Type')) }));
on('flag', () => AP.flag.create({ title: 'Saved', body: '<b>not bold</b>', type: 'success' }));
on('grow', () => { const d = document.createElement('div'); d.style.height = '400px'; d.textContent = 'tall'; document.getElementById('growth').appendChild(d); });
on('unknown', async () => { try { await AP.dialog.create({}); show('unknown-result', 'resolved?!'); } catch (e) { show('unknown-result', e.message); } });
on('server-call', async () => show('server-call-result', await (await fetch('/call-product')).json()));
</script></body></html>`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const hostUrl = process.env.HOST_URL ?? 'http://localhost:4000';
  const app = await startFakeApp({ port: Number(process.argv[2] ?? 0), installKeysUrl: `${hostUrl}/install-keys`, oauthUrl: hostUrl });
  console.log(`fake app listening on ${app.url} (install ${app.url}/atlassian-connect.json from ${hostUrl})`);
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.close().then(() => process.exit(0)));
}
