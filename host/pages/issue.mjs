/**
 * A Jira-like issue view: the issue, the app panels declared for it (each an iframe with a signed URL),
 * links to the apps' general pages, and buttons that send the webhooks the apps declare.
 */
import { generalPages, issuePanels, webhooks } from '../lib/descriptor.mjs';
import { iframeSrc, moduleContext } from '../lib/iframe.mjs';
import { siteBaseUrl } from '../lib/store.mjs';
import { wouldRetry } from '../lib/webhooks.mjs';
import { html, layout } from './html.mjs';
import { appIframe, notices, statusClass, userSwitcher } from './components.mjs';

/**
 * @param {import('../lib/simulator.mjs').Simulator} sim
 * @param {import('../lib/store.mjs').Site} site
 * @param {import('../lib/seed.mjs').SimIssue} issue
 * @param {import('../lib/seed.mjs').SimUser} user
 * @param {URL} url
 */
export function issuePage(sim, site, issue, user, url) {
  const base = siteBaseUrl(sim.config.hostUrl, site);
  const enabled = Object.values(site.installations).filter((i) => i.state === 'enabled');
  const context = moduleContext(site, issue, base);
  const panels = enabled.flatMap((installation) => issuePanels(installation.descriptor).map((module) => ({ installation, module })));
  const hooks = enabled.flatMap((installation) => webhooks(installation.descriptor).map((hook) => ({ installation, hook })));
  const deliveries = site.deliveries.filter((d) => d.body.issue?.key === issue.key).slice(0, 10);

  sim.log.add({ site: site.name, direction: 'browser→product', kind: 'page', method: 'GET', url: url.toString(), status: 200, note: `issue view ${issue.key} as ${user.displayName}, ${panels.length} app panel(s)` });

  // Jira shows right-context web panels in the sidebar, the others under the description.
  const sidePanels = panels.filter(({ module }) => module.location === 'atl.jira.view.issue.right.context');
  const mainPanels = panels.filter((p) => !sidePanels.includes(p));
  const renderPanel = (/** @type {typeof panels[number]} */ { installation, module }) => {
    const frame = iframeSrc({ site, installation, module, issue, accountId: user.accountId, siteBaseUrl: base });
    sim.log.add({ site: site.name, direction: 'browser→app', kind: 'page', method: 'GET', url: frame.src, note: `iframe of ${installation.appKey}/${module.key} (the browser loads it from the app)`, token: frame.token });
    return html`<section class="ac-panel" aria-label="${module.name}">
      <h2>${module.name} <small>${installation.appName} · ${module.type}</small></h2>
      ${appIframe({ ...frame, appKey: installation.appKey, moduleKey: module.key, moduleType: 'panel', title: module.name, issueKey: issue.key, context, height: '150px' })}
    </section>`;
  };

  const body = html`
${notices(url)}
<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/sites/${site.name}">${site.name}</a> / ${site.project.name} / <span>${issue.key}</span></nav>
<div class="issue">
  <section class="issue-main">
    <h1 data-testid="issue-summary">${issue.summary}</h1>
    <h2>Description</h2>
    <p>${issue.description}</p>
    ${mainPanels.map(renderPanel)}
    ${panels.length ? '' : html`<p class="muted" data-testid="no-panels">${enabled.length ? 'The enabled apps declare no issue panel (jiraIssueContents, or webPanels at atl.jira.view.issue.*).' : 'No app is enabled on this site.'}</p>`}
  </section>
  <aside class="issue-side">
    ${sidePanels.map(renderPanel)}
    <section class="card">
      <h2>Details</h2>
      <dl><dt>Status</dt><dd>${issue.status}</dd><dt>Type</dt><dd>Task</dd><dt>Project</dt><dd>${site.project.key} (${site.project.id})</dd><dt>Issue id</dt><dd>${issue.id}</dd></dl>
    </section>
    <section class="card webhooks">
      <h2>Webhooks</h2>
      ${hooks.length ? hooks.map(({ installation, hook }) => html`<form method="post" action="/sites/${site.name}/_admin/webhooks">
          <input type="hidden" name="appKey" value="${installation.appKey}"><input type="hidden" name="event" value="${hook.event}"><input type="hidden" name="issue" value="${issue.key}">
          <input type="hidden" name="back" value="${url.pathname}">
          <button data-event="${hook.event}">Send ${hook.event}</button> <small>to ${installation.appKey}</small></form>`)
        : html`<p class="muted">No enabled app declares a webhook.</p>`}
      ${deliveries.length ? html`<h3>Deliveries</h3><ul class="deliveries">${deliveries.map((d) => html`<li data-delivery="${d.id}">
          <code>${d.event}</code> → <span class="${statusClass(d.status)}">${d.status ?? 'no answer'}</span>${d.retry ? ` (retry ${d.retry})` : ''}
          ${wouldRetry(d.status) ? html`<em>Jira would retry this</em>` : ''}
          <form method="post" action="/sites/${site.name}/_admin/webhooks/${d.id}/redeliver"><input type="hidden" name="back" value="${url.pathname}"><button>Redeliver</button></form>
          <br><small>${d.id}</small></li>`)}</ul>` : ''}
    </section>
  </aside>
</div>`;
  return layout({ title: `${issue.key} ${issue.summary}`, body, siteName: site.name, siteBase: `/sites/${site.name}`, nav: siteNav(site, user, url), headScripts: ['/static/host.js'] });
}

/**
 * The site's navigation: its issues, the enabled apps' general pages, the user switcher.
 * @param {import('../lib/store.mjs').Site} site @param {import('../lib/seed.mjs').SimUser} user @param {URL} url
 */
export function siteNav(site, user, url) {
  const pages = Object.values(site.installations).filter((i) => i.state === 'enabled')
    .flatMap((i) => generalPages(i.descriptor).map((p) => ({ appKey: i.appKey, ...p })));
  return html`<nav class="site-nav" aria-label="Site">
  <span class="site-name">${site.name}</span>
  ${site.issues.map((i) => html`<a href="/sites/${site.name}/browse/${i.key}">${i.key}</a>`)}
  ${pages.length ? html`<span class="apps-menu">Apps: ${pages.map((p) => html`<a href="/sites/${site.name}/plugins/servlet/ac/${p.appKey}/${p.key}">${p.name}</a>`)}</span>` : ''}
  ${userSwitcher(site, user, url.pathname)}
</nav>`;
}
