import { describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { pageProductUrl } from '@/lib/connect/page-host';

const jira = { baseUrl: 'https://acme.atlassian.net', displayUrl: null };
const confluence = { baseUrl: 'https://acme.atlassian.net/wiki', displayUrl: 'https://wiki.acme.com/wiki' };
const page = (query: string) => new URL(`https://app.example.com/connect/issue-notes?${query}`);

function code(url: URL, tenant: { baseUrl: string; displayUrl: string | null }): string {
  try {
    pageProductUrl(url, tenant);
    return 'ACCEPTED';
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectError);
    return (err as ConnectError).code;
  }
}

describe('the product framing an iframe page', () => {
  it('is the tenant’s site, from xdm_e and cp', () => {
    expect(pageProductUrl(page('xdm_e=https%3A%2F%2Facme.atlassian.net&cp='), jira)).toBe('https://acme.atlassian.net');
  });

  it('keeps a context path (Confluence’s /wiki)', () => {
    expect(pageProductUrl(page('xdm_e=https%3A%2F%2Facme.atlassian.net&cp=%2Fwiki'), confluence)).toBe('https://acme.atlassian.net/wiki');
  });

  it('may be the site’s custom domain (displayUrl)', () => {
    expect(code(page('xdm_e=https%3A%2F%2Fwiki.acme.com&cp=%2Fwiki'), confluence)).toBe('ACCEPTED');
  });

  it('must be named: no xdm_e is a 400', () => {
    expect(code(page('cp='), jira)).toBe('BAD_REQUEST');
  });

  it.each([
    ['another host', 'xdm_e=https%3A%2F%2Fevil.example.com&cp='],
    ['another site on Atlassian', 'xdm_e=https%3A%2F%2Fother.atlassian.net&cp='],
    ['another scheme', 'xdm_e=http%3A%2F%2Facme.atlassian.net&cp='],
    ['another context path', 'xdm_e=https%3A%2F%2Facme.atlassian.net&cp=%2Fevil'],
    ['not a URL', 'xdm_e=javascript%3Aalert(1)&cp='],
    ['a context path with a query', 'xdm_e=https%3A%2F%2Facme.atlassian.net&cp=%3Fx%3D1'],
    ['a context path with a fragment', 'xdm_e=https%3A%2F%2Facme.atlassian.net&cp=%23x'],
    ['a context path that climbs', 'xdm_e=https%3A%2F%2Facme.atlassian.net&cp=%2F..%2Fevil'],
  ])('may not be %s (403)', (_, query) => {
    expect(code(page(query), jira)).toBe('FORBIDDEN');
  });
});
