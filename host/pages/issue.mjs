/**
 * A Jira-like issue view: the issue, the app panels declared for it (each an iframe with a signed URL),
 * links to the apps' general pages, and buttons that send the webhooks the apps declare.
 */
import { generalPages, issuePanels, webhooks } from '../lib/descriptor.mjs';
import { iframeSrc, moduleContext } from '../lib/iframe.mjs';
import { siteBaseUrl } from '../lib/store.mjs';
import { wouldRetry } from '../lib/webhooks.mjs';
import { html, layout } from './html.mjs';
import { appIframe, forgeIframe, notices, statusClass, userSwitcher } from './components.mjs';
import { appOf, forgeFrame, installedForgeApps } from '../lib/forge.mjs';
import { modulesOf } from '../lib/forge-manifest.mjs';

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
  const forgeApps = installedForgeApps(site);
  const forgePanels = forgeApps.flatMap((installation) => modulesOf(appOf(installation)).issuePanels.map((module) => ({ installation, module })));
  const forgeEvents = [...new Set(forgeApps.flatMap((i) => modulesOf(appOf(i)).triggers.flatMap((t) => t.events)).filter((e) => e.startsWith('avi:jira:')))];
  const forgeKeys = [issue.key, ...(issue.previousKeys ?? [])];
  const forgeDeliveries = (site.forgeDeliveries ?? []).filter((d) => forgeKeys.includes(d.body.issue?.key) || forgeKeys.includes(d.body.changelog?.items?.[0]?.fromString)).slice(0, 10);

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

  const renderForgePanel = (/** @type {typeof forgePanels[number]} */ { installation, module }) => {
    const frame = forgeFrame(sim, site, installation, module, 'jira:issuePanel', issue, user);
    return html`<section class="ac-panel forge-panel" aria-label="${frame.title} (Forge)">
      <h2>${frame.title} <small>Forge app · jira:issuePanel</small></h2>
      ${forgeIframe(frame, '150px')}
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
    ${forgePanels.map(renderForgePanel)}
    ${panels.length || forgePanels.length ? '' : html`<p class="muted" data-testid="no-panels">${enabled.length ? 'The enabled apps declare no issue panel (jiraIssueContents, or webPanels at atl.jira.view.issue.*).' : 'No app is enabled on this site.'}</p>`}
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
    ${forgeApps.length ? html`<section class="card forge-events">
      <h2>Forge product events</h2>
      ${forgeEvents.map((event) => html`<form method="post" action="/sites/${site.name}/_admin/forge-event">
          <input type="hidden" name="event" value="${event}"><input type="hidden" name="issue" value="${issue.key}"><input type="hidden" name="back" value="${url.pathname}">
          <button data-forge-event="${event}">Send ${event}</button>${event === 'avi:jira:updated:issue' ? html` <small>(changes the key)</small>` : ''}</form>`)}
      ${forgeDeliveries.length ? html`<h3>Deliveries</h3><ul class="deliveries">${forgeDeliveries.map((d) => html`<li data-forge-delivery="${d.id}">
          <code>${d.eventType}</code> → <span class="${statusClass(d.status)}">${d.status ?? 'no answer'}</span> after ${d.attempts.length} attempt(s)
          <form method="post" action="/sites/${site.name}/_admin/forge-events/${d.id}/redeliver"><input type="hidden" name="back" value="${url.pathname}"><button>Send again</button></form></li>`)}</ul>` : ''}
    </section>` : ''}
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
    .flatMap((i) => generalPages(i.descriptor).map((p) => ({ href: `/sites/${site.name}/plugins/servlet/ac/${i.appKey}/${p.key}`, name: p.name })));
  for (const installation of installedForgeApps(site)) {
    for (const module of modulesOf(appOf(installation)).globalPages) {
      pages.push({ href: `/sites/${site.name}/jira/apps/${installation.appId.split('/').pop()}/${module.key}`, name: `${typeof module.title === 'string' ? module.title : module.key} (Forge)` });
    }
  }
  return html`<nav class="site-nav" aria-label="Site">
  <span class="site-name">${site.name}</span>
  ${site.issues.map((i) => html`<a href="/sites/${site.name}/browse/${i.key}">${i.key}</a>`)}
  ${pages.length ? html`<span class="apps-menu">Apps: ${pages.map((p) => html`<a href="${p.href}">${p.name}</a> `)}</span>` : ''}
  ${userSwitcher(site, user, url.pathname)}
</nav>`;
}
