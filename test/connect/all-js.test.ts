/** Where an iframe page loads Atlassian's all.js: the CDN on real sites, the product's copy in the simulator. */
import { describe, expect, it } from 'vitest';
import { ATLASSIAN_ALL_JS_URL, allJsUrl } from '@/lib/ap';

const query = (xdm_e: string, cp = '') => `?${new URLSearchParams({ xdm_e, cp, jwt: 'x' })}`;

describe('all.js source', () => {
  it('is Atlassian’s CDN for a real Jira site', () => {
    expect(allJsUrl(query('https://acme.atlassian.net'))).toBe('https://connect-cdn.atl-paas.net/all.js');
    expect(ATLASSIAN_ALL_JS_URL).toBe('https://connect-cdn.atl-paas.net/all.js');
  });

  it('is Atlassian’s CDN for a Confluence site, whatever its context path', () => {
    expect(allJsUrl(query('https://acme.atlassian.net', '/wiki'))).toBe(ATLASSIAN_ALL_JS_URL);
  });

  it('is Atlassian’s CDN for a custom domain (displayUrl)', () => {
    expect(allJsUrl(query('https://jira.acme.com'))).toBe(ATLASSIAN_ALL_JS_URL);
  });

  it('is the product’s own copy when the product is the simulator on a loopback host', () => {
    expect(allJsUrl(query('http://localhost:4000', '/sites/acme'))).toBe('http://localhost:4000/sites/acme/atlassian-connect/all.js');
    expect(allJsUrl(query('http://127.0.0.1:4113', '/sites/beta'))).toBe('http://127.0.0.1:4113/sites/beta/atlassian-connect/all.js');
  });

  it('is not a loopback copy for a host that only looks like one', () => {
    expect(allJsUrl(query('https://localhost.evil.com'))).toBe(ATLASSIAN_ALL_JS_URL);
    expect(allJsUrl(query('https://127.0.0.1.nip.io'))).toBe(ATLASSIAN_ALL_JS_URL);
  });

  it('is nothing outside a Connect iframe', () => {
    expect(allJsUrl('?issueKey=NOTE-1')).toBeNull();
    expect(allJsUrl(query('not a url'))).toBeNull();
  });
});
