/**
 * The full exchange log, optionally for one site, live over server-sent events.
 */
import { html, layout } from './html.mjs';
import { logTable } from './components.mjs';

/**
 * @param {import('../lib/simulator.mjs').Simulator} sim
 * @param {URL} url
 */
export function logPage(sim, url) {
  const site = url.searchParams.get('site') ?? undefined;
  const body = html`
<h1>Exchange log</h1>
<p>Every exchange between this simulated product, the app and the browser, newest first. Tokens appear as their claims,
never their signature; shared secrets never appear. Filter:
<a href="/log">all sites</a> ${sim.store.listSites().map((s) => html`· <a href="/log?site=${s.name}">${s.name}</a> `)}</p>
${logTable(sim.log.list({ site, limit: 500 }), { site, limit: 500 })}`;
  return layout({ title: 'Log', body, scripts: ['/static/log.js'] });
}
