/**
 * The Content-Security-Policy the simulator serves Custom UI with: Atlassian's @forge/csp over the manifest's
 * permissions and the resource's index.html (host/lib/custom-ui-csp.mjs). e2e/custom-ui-csp.spec.ts shows a
 * browser enforcing it.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customUiCsp } from '../../host/lib/custom-ui-csp.mjs';

const SITE = 'http://localhost:4000';
const HTML = '<!doctype html><html><head><link rel="stylesheet" href="./main.css"></head><body><div id="root"></div><script src="./main.js"></script></body></html>';

function directives(csp: string): Record<string, string[]> {
  return Object.fromEntries(csp.split('; ').map((d) => { const [name, ...values] = d.split(' '); return [name, values]; }));
}

describe('Custom UI Content-Security-Policy', () => {
  it('with no content or external permissions: no inline style or script, no other origin to call', () => {
    const csp = directives(customUiCsp({ html: HTML, permissions: { scopes: [] } as never, site: SITE }));
    expect(csp['style-src']).not.toContain("'unsafe-inline'");
    expect(csp['script-src']).not.toContain("'unsafe-inline'");
    expect(csp['script-src'].filter((s) => s.startsWith("'sha"))).toEqual([]);
    expect(csp['connect-src']).toContain("'self'");
    expect(csp['connect-src']).not.toContain('https://api.example.com');
    // The site that embeds it may frame it; Atlassian's report-uri is not sent from a simulator.
    expect(csp['frame-ancestors']).toContain(SITE);
    expect(csp['report-uri']).toBeUndefined();
  });

  it('permissions.content.styles unsafe-inline is what lets a bundle inject styles', () => {
    const csp = directives(customUiCsp({ html: HTML, permissions: { content: { styles: ['unsafe-inline'] } }, site: SITE }));
    expect(csp['style-src']).toContain("'unsafe-inline'");
    expect(csp['script-src']).not.toContain("'unsafe-inline'");
  });

  it('permissions.external adds each declared origin to its own directive only', () => {
    const csp = directives(customUiCsp({
      html: HTML,
      permissions: { external: { fetch: { client: ['https://api.example.com'] }, images: [{ address: 'https://img.example.com' }], fonts: ['https://fonts.example.com'] } },
      site: SITE,
    }));
    expect(csp['connect-src']).toContain('https://api.example.com');
    expect(csp['img-src']).toContain('https://img.example.com');
    expect(csp['font-src']).toContain('https://fonts.example.com');
    expect(csp['img-src']).not.toContain('https://api.example.com');
    expect(csp['script-src']).not.toContain('https://api.example.com');
  });

  it('an inline script of index.html as uploaded is allowed by its hash, and only that script', () => {
    const inline = 'window.appConfig = { theme: "light" };';
    const csp = directives(customUiCsp({ html: HTML.replace('</head>', `<script>${inline}</script></head>`), permissions: {}, site: SITE }));
    expect(csp['script-src']).toContain(`'sha256-${createHash('sha256').update(inline).digest('base64')}'`);
    expect(csp['script-src']).not.toContain("'unsafe-inline'");
  });
});
