/**
 * The simulator's home: how the app is wired to it, every site with its installed apps and the
 * lifecycle buttons, the create-site form, and the latest exchanges.
 */
import { generalPages } from '../lib/descriptor.mjs';
import { forgeInstallations } from '../lib/forge.mjs';
import { accountChanges, TEST_ACCOUNTS } from '../lib/privacy.mjs';
import { siteBaseUrl } from '../lib/store.mjs';
import { html, layout } from './html.mjs';
import { logTable, notices } from './components.mjs';

/**
 * @param {import('../lib/simulator.mjs').Simulator} sim
 * @param {URL} url
 */
export function dashboardPage(sim, url) {
  const { config } = sim;
  const descriptorUrl = `${config.appUrl}/atlassian-connect.json`;
  const body = html`
${notices(url)}
<h1>Connect host simulator</h1>
<section class="card wiring">
  <h2>Wiring</h2>
  <dl>
    <dt>App descriptor</dt><dd><a href="${descriptorUrl}">${descriptorUrl}</a> (APP_URL)</dd>
    <dt>Install keys</dt><dd><code>${config.hostUrl}/install-keys/&lt;kid&gt;</code>, current kid <code>${sim.key.kid}</code></dd>
    <dt>OAuth server</dt><dd><code>${config.hostUrl}/oauth2/token</code></dd>
    <dt>UPM</dt><dd><code>&lt;site base&gt;/rest/plugins/1.0/</code> (any email and API token)</dd>
    <dt>Forge manifest</dt><dd><code>${config.forgeManifest}</code> (HOST_FORGE_MANIFEST; <code>\${APP_URL}</code> = ${config.appUrl})</dd>
    <dt>Forge key set</dt><dd><code>${config.hostUrl}/forge/jwks.json</code> (FORGE_JWKS_URL), kid <code>${sim.forgeKey.kid}</code></dd>
  </dl>
  <p>The app must run with <code>CONNECT_INSTALL_KEYS_URL=${config.hostUrl}/install-keys</code>, <code>CONNECT_OAUTH_URL=${config.hostUrl}</code>
  and <code>${new URL(config.hostUrl).hostname}</code> in <code>CONNECT_ALLOWED_HOSTS</code>; <code>npm run dev</code> sets them.</p>
</section>
<section class="sites">
  <h2>Sites</h2>
  ${sim.store.listSites().map((site) => siteCard(sim, site, descriptorUrl))}
  <form class="card create-site" method="post" action="/sites">
    <label>New site name <input name="name" required pattern="[a-z0-9][a-z0-9\\-]{0,39}" placeholder="globex"></label>
    <button>Create site</button>
  </form>
</section>
<section class="card privacy" data-privacy>
  <h2>Personal data reporting</h2>
  <p>Apps report the accounts they store data for (<code>report-accounts</code>); closed accounts are answered <code>closed</code>,
  accounts marked updated <code>updated</code>. Atlassian's test ids: <code>${TEST_ACCOUNTS.active}</code> (active),
  <code>${TEST_ACCOUNTS.closed}</code> (closed).</p>
  <form method="post" action="/_admin/accounts"><input type="hidden" name="action" value="rate-limit">
    <label>Answer the next <input name="count" type="number" min="0" max="100" value="1" size="3"> report(s) with 429,
    Retry-After <input name="retryAfter" type="number" min="0" max="86400" value="60" size="5"> s</label> <button>Rate-limit reports</button></form>
</section>
<section class="card">
  <h2>Recent exchanges <small><a href="/log">full log</a></small></h2>
  ${logTable(sim.log.list({ limit: 25 }), { limit: 25 })}
</section>`;
  return layout({ title: 'Dashboard', body, scripts: ['/static/log.js'] });
}

/**
 * @param {import('../lib/simulator.mjs').Simulator} sim
 * @param {import('../lib/store.mjs').Site} site
 * @param {string} descriptorUrl
 */
function siteCard(sim, site, descriptorUrl) {
  const base = siteBaseUrl(sim.config.hostUrl, site);
  const installations = Object.values(site.installations);
  return html`<article class="card site" data-site="${site.name}">
  <h3>${site.name} <small><code>${base}</code></small></h3>
  <p>Issues: ${site.issues.map((i) => html`<a href="/sites/${site.name}/browse/${i.key}">${i.key}</a> `)}</p>
  ${installations.length ? html`<table class="apps">
    <thead><tr><th>App</th><th>State</th><th>clientKey</th><th>Updated</th><th>Pages</th><th>Actions</th></tr></thead>
    <tbody>${installations.map((i) => installationRow(site, i))}</tbody>
  </table>` : html`<p class="muted">No app installed.</p>`}
  <form class="install" method="post" action="/sites/${site.name}/_admin/install">
    <label>Descriptor URL <input name="descriptorUrl" value="${descriptorUrl}" size="48"></label>
    <button>Install app</button>
  </form>
  ${forgeCard(site)}
  ${marketplaceCard(site)}
  ${accountsCard(sim, site)}
</article>`;
}

/** The site's license for the app and a rate limit on its product API. @param {import('../lib/store.mjs').Site} site */
function marketplaceCard(site) {
  const license = site.license ?? 'unset';
  return html`<div class="marketplace" data-marketplace>
    <h4>Marketplace</h4>
    <form method="post" action="/sites/${site.name}/_admin/license" data-license="${license}">
      <label>License <select name="license">${['unset', 'active', 'inactive'].map((s) => html`<option value="${s}"${s === license ? ' selected' : ''}>${s}</option>`)}</select></label>
      <button>Set license</button>
    </form>
    <form method="post" action="/sites/${site.name}/_admin/rate-limit">
      <label>Next <input name="calls" type="number" min="0" max="1000" value="${site.rateLimit?.remaining ?? 3}" size="4"> product calls answer
        <select name="status"><option value="429">429</option><option value="503">503</option></select></label>
      <label>Retry-After <input name="retryAfter" type="number" min="0" max="3600" value="${site.rateLimit?.retryAfterSeconds ?? 1}" size="4"> s</label>
      <button>Rate-limit</button>
      ${site.rateLimit ? html`<small data-rate-limited>${site.rateLimit.remaining} left</small>` : ''}
    </form>
  </div>`;
}

/** The site's Forge apps and what can be done with them. @param {import('../lib/store.mjs').Site} site */
function forgeCard(site) {
  const forge = Object.values(forgeInstallations(site));
  const installed = forge.filter((i) => i.state === 'installed');
  const connect = Object.values(site.installations).filter((i) => i.state !== 'uninstalled' && !i.onForge);
  const action = (/** @type {string} */ name, /** @type {string} */ label) => html`<form method="post" action="/sites/${site.name}/_admin/${name}"><button>${label}</button></form>`;
  return html`<div class="forge" data-forge>
    <h4>Forge</h4>
    ${forge.length ? html`<ul>${forge.map((i) => html`<li><code>${i.appId}</code> <span class="state state-${i.state}">${i.state}</span> <small>${i.installationId}${i.connectAppKey ? ` · upgraded from ${i.connectAppKey}` : ''}</small></li>`)}</ul>` : html`<p class="muted">No Forge app installed.</p>`}
    <div class="actions">
      ${installed.length ? action('forge-scheduled', 'Run scheduled triggers') : ''}
      ${installed.length ? action('forge-uninstall', 'Uninstall Forge app') : connect.length === 1 ? action('forge-upgrade', `Upgrade ${connect[0].appKey} to Forge`) : action('forge-install', 'Install Forge app')}
    </div>
  </div>`;
}

/**
 * @param {import('../lib/store.mjs').Site} site
 * @param {import('../lib/store.mjs').Installation} i
 */
function installationRow(site, i) {
  const action = (/** @type {string} */ name, /** @type {string} */ label) => html`<form method="post" action="/sites/${site.name}/_admin/${name}">
      <input type="hidden" name="appKey" value="${i.appKey}"><button>${label}</button></form>`;
  const pages = i.state === 'enabled' ? generalPages(i.descriptor) : [];
  return html`<tr data-app-key="${i.appKey}">
    <td><strong>${i.appName}</strong><br><code>${i.appKey}</code></td>
    <td><span class="state state-${i.state}" data-state="${i.state}">${i.state}</span>${i.lastError ? html`<p class="error">${i.lastError}</p>` : ''}</td>
    <td><code>${i.clientKey}</code></td>
    <td>${i.updatedAt.slice(0, 19).replace('T', ' ')}</td>
    <td>${pages.map((p) => html`<a href="/sites/${site.name}/plugins/servlet/ac/${i.appKey}/${p.key}">${p.name}</a> `)}</td>
    <td class="actions">
      ${i.state === 'enabled' ? action('disable', 'Disable') : ''}
      ${i.state === 'disabled' || i.state === 'installed' ? action('enable', 'Enable') : ''}
      ${i.state !== 'uninstalled' ? action('uninstall', 'Uninstall') : ''}
      <form method="post" action="/sites/${site.name}/_admin/install"><input type="hidden" name="descriptorUrl" value="${i.descriptorUrl}"><button>${i.state === 'uninstalled' ? 'Install again' : 'Reinstall'}</button></form>
    </td>
  </tr>`;
}

/**
 * The site's users as Atlassian accounts: close one, mark its profile updated, or reopen it. Accounts are
 * Atlassian's, so a change applies to every site and app.
 * @param {import('../lib/simulator.mjs').Simulator} sim @param {import('../lib/store.mjs').Site} site
 */
function accountsCard(sim, site) {
  const changes = accountChanges(sim);
  const button = (/** @type {string} */ accountId, /** @type {string} */ action, /** @type {string} */ label) => html`<form method="post" action="/_admin/accounts">
      <input type="hidden" name="accountId" value="${accountId}"><input type="hidden" name="action" value="${action}"><button>${label}</button></form>`;
  return html`<div class="accounts" data-accounts>
    <h4>Accounts</h4>
    <table><tbody>${site.users.map((u) => {
      const status = changes[u.accountId]?.status ?? 'active';
      return html`<tr data-account="${u.accountId}"><td>${u.displayName}<br><code>${u.accountId}</code></td>
        <td><span class="state state-${status}" data-account-status="${status}">${status}</span></td>
        <td class="actions">${status === 'closed' ? button(u.accountId, 'reopen', 'Reopen') : html`${button(u.accountId, 'close', 'Close account')}${button(u.accountId, 'update', 'Mark updated')}`}</td></tr>`;
    })}</tbody></table>
  </div>`;
}
