/**
 * How Forge hosts a Custom UI resource, so a bundle that breaks on a real site breaks here too.
 *
 * The Content-Security-Policy is computed by Atlassian's own package, @forge/csp (the CSP configuration
 * for Custom UI resources in Forge), from the resource's index.html and the manifest's `permissions`:
 *   - script-src: the resource's own files, plus hashes of the inline scripts in index.html as uploaded;
 *     `permissions.content.scripts` may add 'unsafe-inline', 'unsafe-eval', 'unsafe-hashes' or hashes;
 *   - style-src: the resource's own files; `permissions.content.styles: ['unsafe-inline']` is the only way to
 *     let a bundle inject <style> elements (as CSS-in-JS and Atlaskit's runtime styles do);
 *   - connect-src (fetch, XHR, WebSocket): 'self', the site, Atlassian's hosts, and `permissions.external.fetch.client`;
 *     img-src, media-src, font-src, frame-src, style-src, script-src take `permissions.external.*` too.
 * https://developer.atlassian.com/platform/forge/add-content-security-and-egress-controls/
 *
 * The iframe's own sandbox and feature policy are those Atlassian lists for the Custom UI iframe, and which
 * the developer cannot change: https://developer.atlassian.com/platform/forge/custom-ui/iframe/
 */
import forgeCsp from '@forge/csp';
import { load } from 'cheerio';

const { CSPInjectionService, CSPProcessingService } = forgeCsp;

/** The Custom UI iframe's `sandbox` attribute (Atlassian: "Custom UI iframe", Sandbox restrictions). */
export const CUSTOM_UI_SANDBOX = 'allow-downloads allow-forms allow-modals allow-pointer-lock allow-same-origin allow-scripts';
/** The Custom UI iframe's `allow` attribute (Atlassian: "Custom UI iframe", Feature policies). */
export const CUSTOM_UI_ALLOW = 'camera; clipboard-write; display-capture; fullscreen; microphone';

/** @forge/csp logs a discarded, malformed CSP permission; the manifest validator reports those already. */
const quiet = { info() {} };

/**
 * The Content-Security-Policy header of a Custom UI resource, as Forge's CDN computes it for production.
 * `site` is the product's origin (Forge's `hostname`: the site that embeds the resource, which may also frame,
 * serve images to and answer the resource). Atlassian's report-uri is left out: reports from here would go
 * to Atlassian; the browser's console shows each violation instead.
 *
 * @param {{ html: string, permissions?: { content?: { scripts?: string[], styles?: string[] }, external?: Record<string, unknown> }, site: string }} input
 * @returns {string}
 * @example customUiCsp({ html: readFileSync('static/panel/index.html', 'utf8'), permissions: manifest.permissions, site: 'http://localhost:4000' })
 */
export function customUiCsp({ html, permissions, site }) {
  const existingCSPDetails = new CSPProcessingService(quiet, load).getCspDetails(html, permissions ?? {});
  const directives = new CSPInjectionService().getInjectableCSP({ existingCSPDetails, microsEnv: 'prod', hostname: site });
  return directives.filter((d) => !d.startsWith('report-uri ')).join('; ');
}
