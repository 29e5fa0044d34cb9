/**
 * Site-level pages: the site's home (its issues) and an app's general page, which Jira serves at
 * /plugins/servlet/ac/<appKey>/<moduleKey> with the module in a full-width iframe.
 */
import { iframeSrc, moduleContext } from '../lib/iframe.mjs';
import { siteBaseUrl } from '../lib/store.mjs';
import { html, layout } from './html.mjs';
import { appIframe, forgeIframe, notices } from './components.mjs';
import { forgeFrame } from '../lib/forge.mjs';
import { siteNav } from './issue.mjs';

/**
 * @param {import('../lib/simulator.mjs').Simulator} sim
 * @param {import('../lib/store.mjs').Site} site
 * @param {import('../lib/seed.mjs').SimUser} user
 * @param {URL} url
 */
export function siteHomePage(sim, site, user, url) {
  const body = html`
${notices(url)}
<h1>${site.name} <small><code>${siteBaseUrl(sim.config.hostUrl, site)}</code></small></h1>
<section class="card">
  <h2>${site.project.name} (${site.project.key})</h2>
  <ul class="issue-list">${site.issues.map((i) => html`<li><a href="/sites/${site.name}/browse/${i.key}">${i.key}</a> ${i.summary} <small>${i.status}</small></li>`)}</ul>
</section>`;
  return layout({ title: site.name, body, siteName: site.name, siteBase: `/sites/${site.name}`, nav: siteNav(site, user, url) });
}

/**
 * @param {import('../lib/simulator.mjs').Simulator} sim
 * @param {import('../lib/store.mjs').Site} site
 * @param {import('../lib/store.mjs').Installation} installation
 * @param {import('../lib/descriptor.mjs').ModuleView} module
 * @param {import('../lib/seed.mjs').SimUser} user
 * @param {URL} url
 */
export function generalPage(sim, site, installation, module, user, url) {
  const base = siteBaseUrl(sim.config.hostUrl, site);
  const frame = iframeSrc({ site, installation, module, accountId: user.accountId, siteBaseUrl: base });
  sim.log.add({ site: site.name, direction: 'browser→product', kind: 'page', method: 'GET', url: url.toString(), status: 200, note: `general page ${installation.appKey}/${module.key} as ${user.displayName}` });
  sim.log.add({ site: site.name, direction: 'browser→app', kind: 'page', method: 'GET', url: frame.src, note: `iframe of ${installation.appKey}/${module.key} (the browser loads it from the app)`, token: frame.token });
  const body = html`
${notices(url)}
<div class="general-page">
  <h1 class="page-title">${module.name} <small>${installation.appName}</small></h1>
  ${appIframe({ ...frame, appKey: installation.appKey, moduleKey: module.key, moduleType: 'page', title: module.name, context: moduleContext(site, undefined, base), height: '400px' })}
</div>`;
  return layout({ title: module.name, body, siteName: site.name, siteBase: `/sites/${site.name}`, nav: siteNav(site, user, url), headScripts: ['/static/host.js'] });
}

/**
 * A Forge `jira:globalPage`: Jira serves it at /jira/apps/<app uuid>/<environment uuid>; here the last
 * segment is the module key, so several pages of one app stay apart.
 * @param {import('../lib/simulator.mjs').Simulator} sim
 * @param {import('../lib/store.mjs').Site} site
 * @param {import('../lib/forge.mjs').ForgeInstallation} installation
 * @param {import('../lib/forge-manifest.mjs').UiModule} module
 * @param {import('../lib/seed.mjs').SimUser} user
 * @param {URL} url
 */
export function forgeGlobalPage(sim, site, installation, module, user, url) {
  const frame = forgeFrame(sim, site, installation, module, 'jira:globalPage', undefined, user);
  sim.log.add({ site: site.name, direction: 'browser→product', kind: 'page', method: 'GET', url: url.toString(), status: 200, note: `Forge global page ${module.key} as ${user.displayName}` });
  const body = html`
${notices(url)}
<div class="general-page">
  <h1 class="page-title">${frame.title} <small>Forge app · jira:globalPage</small></h1>
  ${forgeIframe(frame, '400px')}
</div>`;
  return layout({ title: frame.title, body, siteName: site.name, siteBase: `/sites/${site.name}`, nav: siteNav(site, user, url), headScripts: ['/static/host.js'] });
}
