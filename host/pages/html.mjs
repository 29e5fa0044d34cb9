/**
 * HTML by template literals: `html` escapes every interpolated value unless it is itself `html` output
 * (or an array of them), so app names, issue summaries and log entries can never inject markup.
 */

const ESCAPES = /** @type {Record<string, string>} */ ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' });

export class Html {
  /** @param {string} value */
  constructor(value) {
    this.value = value;
  }

  toString() {
    return this.value;
  }
}

/** @param {unknown} value @returns {string} */
function render(value) {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * @param {TemplateStringsArray} strings @param {...unknown} values
 * @example html`<p>${issue.summary}</p>`
 */
export function html(strings, ...values) {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/**
 * A JSON value inside an HTML attribute (escaped like any other value).
 * @param {unknown} value
 */
export function json(value) {
  return JSON.stringify(value);
}

/**
 * Every page of the simulator: the banner that says what this is, navigation, and the host scripts.
 * `headScripts` run before any iframe exists (host.js must hear an iframe's first message);
 * `scripts` run once the page is parsed.
 * @param {{ title: string, body: Html, siteName?: string, siteBase?: string, nav?: Html, headScripts?: string[], scripts?: string[] }} page
 */
export function layout({ title, body, siteName, siteBase, nav, headScripts = [], scripts = [] }) {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Connect host simulator</title>
<link rel="stylesheet" href="/static/host.css">
${headScripts.map((src) => html`<script src="${src}"></script>`)}
</head>
<body data-site-name="${siteName ?? ''}" data-site-base="${siteBase ?? ''}">
<div class="sim-banner" role="note"><strong>Connect host simulator — not Atlassian.</strong> A local stand-in for Jira Cloud for developing Connect and Forge apps (Custom UI, Forge Remote); nothing here is a real Atlassian site, and it is no substitute for <code>forge lint</code> or <code>forge deploy</code>.</div>
<header class="topbar">
  <a class="brand" href="/">Simulated Jira</a>
  ${nav ?? ''}
  <nav class="topbar-links"><a href="/">Dashboard</a> <a href="/log">Log</a></nav>
</header>
<main>
${body}
</main>
<div id="ac-flags" class="ac-flags" aria-live="polite"></div>
${scripts.map((src) => html`<script src="${src}"></script>`)}
</body>
</html>`.value;
}
