/**
 * Pieces shared by several pages: the exchange log table, notices, the user switcher and app iframes.
 */
import { html, json } from './html.mjs';
import { CUSTOM_UI_ALLOW, CUSTOM_UI_SANDBOX } from '../lib/custom-ui-csp.mjs';

/**
 * The exchange log as a table; /static/log.js keeps it live over server-sent events.
 * @param {import('../lib/exchange-log.mjs').LogEntry[]} entries newest first
 * @param {{ site?: string, limit: number }} options
 */
export function logTable(entries, { site, limit }) {
  const last = entries.reduce((max, e) => Math.max(max, e.id), 0);
  return html`<table class="log" data-log-table data-site="${site ?? ''}" data-limit="${limit}" data-last-id="${last}">
<thead><tr><th>Time</th><th>Site</th><th>Direction</th><th>Kind</th><th>Request</th><th>Status</th><th>Note</th></tr></thead>
<tbody>${entries.map(logRow)}</tbody>
</table>`;
}

/**
 * One row; log.js builds the same structure for live entries.
 * @param {import('../lib/exchange-log.mjs').LogEntry} e
 */
export function logRow(e) {
  const details = { token: e.token ?? undefined, ...(e.details ?? {}) };
  const hasDetails = Object.values(details).some((v) => v !== undefined);
  return html`<tr data-id="${e.id}" data-kind="${e.kind}">
<td class="time">${e.time.slice(11, 19)}</td>
<td>${e.site ?? ''}</td>
<td class="direction">${e.direction}</td>
<td>${e.kind}</td>
<td class="request">${e.method ?? ''} <span class="url">${e.url ?? ''}</span></td>
<td class="${statusClass(e.status)}">${e.status === null ? 'no answer' : e.status ?? ''}</td>
<td class="note">${e.note}${hasDetails ? html`<details><summary>details</summary><pre>${JSON.stringify(details, null, 2)}</pre></details>` : ''}</td>
</tr>`;
}

/** @param {number | null | undefined} status */
export function statusClass(status) {
  if (status === undefined) return 'status';
  if (status === null || status >= 400) return 'status status-bad';
  return status >= 300 ? 'status status-warn' : 'status status-ok';
}

/**
 * `?notice=` and `?error=` after a form post.
 * @param {URL} url
 */
export function notices(url) {
  const notice = url.searchParams.get('notice');
  const error = url.searchParams.get('error');
  return html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}${error ? html`<p class="notice notice-error" role="alert">${error}</p>` : ''}`;
}

/**
 * Who the simulated product thinks is signed in; switching changes the `sub` of tokens.
 * @param {import('../lib/store.mjs').Site} site @param {import('../lib/seed.mjs').SimUser} user @param {string} back
 */
export function userSwitcher(site, user, back) {
  return html`<form class="user-switcher" method="post" action="/sites/${site.name}/_host/user">
<input type="hidden" name="back" value="${back}">
<label>Signed in as <select name="accountId" onchange="this.form.submit()">
${site.users.map((u) => html`<option value="${u.accountId}" ${u.accountId === user.accountId ? html`selected` : ''}>${u.displayName}</option>`)}
</select></label>
<noscript><button>Switch</button></noscript>
</form>`;
}

/**
 * An app module in an iframe, with what host.js needs to answer its AP calls and check who is talking.
 * The sandbox flags are those Jira Cloud puts on Connect iframes.
 * @param {{ src: string, channel: string, appOrigin: string, appKey: string, moduleKey: string, moduleType: 'panel' | 'page',
 *   title: string, issueKey?: string, context: unknown, height: string }} frame
 */
export function appIframe(frame) {
  // all.js falls back to the name when in-frame navigation dropped the query (window.name survives it).
  const name = json({ simulator: true, xdm_e: new URL(frame.src).searchParams.get('xdm_e'), xdm_c: frame.channel });
  return html`<iframe class="ac-iframe ac-${frame.moduleType}" src="${frame.src}" name="${name}" title="${frame.title}"
  data-ap-channel="${frame.channel}" data-app-origin="${frame.appOrigin}" data-app-key="${frame.appKey}" data-module-key="${frame.moduleKey}"
  data-module-type="${frame.moduleType}" data-issue-key="${frame.issueKey ?? ''}" data-context="${json(frame.context)}"
  style="height:${frame.height}"
  sandbox="allow-downloads allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-same-origin allow-scripts allow-top-navigation-by-user-activation allow-storage-access-by-user-activation"></iframe>`;
}

/**
 * A Forge Custom UI module in an iframe, with what host.js needs to answer its bridge calls: the app and
 * module, the origin its resources come from, and its `view.getContext()`. Forge's own sandbox and feature
 * policy (lib/custom-ui-csp.mjs); its resources come with Forge's Content-Security-Policy.
 * @param {ReturnType<typeof import('../lib/forge.mjs').forgeFrame>} frame @param {string} height
 */
export function forgeIframe(frame, height) {
  return html`<iframe class="forge-iframe" src="${frame.src}" title="${frame.title}"
  data-forge-app="${frame.appId}" data-forge-module="${frame.moduleKey}" data-forge-type="${frame.type}" data-forge-origin="${frame.origin}"
  data-issue-key="${frame.issueKey ?? ''}" data-forge-context="${json(frame.context)}" style="height:${height}"
  sandbox="${CUSTOM_UI_SANDBOX}" allow="${CUSTOM_UI_ALLOW}"></iframe>`;
}
