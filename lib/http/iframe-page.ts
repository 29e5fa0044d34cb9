/**
 * The Connect door's iframe pages (`/connect/<page>`): the page-load JWT verified, then a small HTML shell
 * that loads the page's bundle (app/connect/<page>/ui.tsx, built by `npm run ui:build`).
 *
 * Why a shell and not a rendered page: the pages hold no data. Everything they show comes from the app's
 * API with a context token that only the product can hand out, so the server's work is the verification
 * and a few hundred bytes of HTML. The bundle's files carry a content hash and are served immutable
 * (next.config.js), so a panel that opens again fetches its shell and nothing else.
 *
 * Also checked: the product that frames the page (`xdm_e`, `cp`) is this tenant's own site, because the
 * page loads all.js from there. A verified page may be framed only by that site (CSP frame-ancestors).
 */
import { getConfig } from '../config';
import { pageProductUrl } from '../connect/page-host';
import { authenticate } from './authenticate';
import { allowedFrameAncestors, tenantFrameAncestors } from './frame-ancestors';
import { IFRAME_ASSETS } from './iframe-assets.generated';
import { errorPage } from './responses';

/** A page `npm run ui:build` bundled (scripts/ui-entries.mjs CONNECT_UI_ENTRIES). */
export type IframePageName = keyof typeof IFRAME_ASSETS;

/**
 * Answers a GET of an iframe page: its shell, or the error page (401, 403, 503…) when the page-load JWT
 * or the framing product is refused.
 *
 * @example export const GET = (request: Request) => iframePage(request, { page: 'issue-notes', title: 'Issue notes' });
 */
export async function iframePage(request: Request, { page, title }: { page: IframePageName; title: string }): Promise<Response> {
  let tenant;
  try {
    ({ tenant } = await authenticate(request, 'strict'));
    pageProductUrl(new URL(request.url), tenant);
  } catch (err) {
    return errorPage(err, allowedFrameAncestors(getConfig().allowedHosts));
  }
  return new Response(shell(IFRAME_ASSETS[page], title), {
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Security-Policy': `frame-ancestors ${tenantFrameAncestors(tenant)}`,
      'Cache-Control': 'private, no-store',
    },
  });
}

/**
 * The `ac-content` container (all.js sizes the iframe to it; lib/ap loads all.js when the page first uses
 * AP), the page's CSS, and its module script with the chunks it imports preloaded, so the browser fetches
 * them at once rather than after parsing the script.
 */
function shell(assets: (typeof IFRAME_ASSETS)[IframePageName], title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${assets.styles.map((href) => `<link rel="stylesheet" href="${href}">`).join('\n')}
${assets.imports.map((href) => `<link rel="modulepreload" href="${href}">`).join('\n')}
<script type="module" src="${assets.script}"></script>
</head>
<body>
<div class="ac-content" style="padding:4px 2px 8px"><div id="root"><p>Loading notes…</p></div></div>
</body>
</html>
`;
}
