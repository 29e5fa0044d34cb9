/**
 * Generated requests, checked against atlassian-jwt 2.0.3, the reference implementation. Requests are
 * compared the way the app receives them: as the WHATWG-normalized `request.url`.
 */
import * as ajwt from 'atlassian-jwt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalRequest, computeQsh, qshMatches } from '@/lib/connect/qsh';

const RUNS = 3000;

// Pieces of raw (as typed in a URL) text: unreserved, reserved, unicode, pre-encoded, form-encoded,
// malformed and non-UTF-8 sequences.
const RAW_PIECES = [
  'a', 'Z', '0', '-', '.', '_', '~', '!', '$', "'", '(', ')', '*', ',', ';', ':', '@', '[', ']', '^', '|', '`', '{', '}', '"', '<', '>',
  ' ', '+', '%20', '%2B', '%2b', '%26', '%3D', '%2F', '%25', '%7E', '%41', '%2A', 'é', '中', '😀', '\uE000', '%C3%A9', '%F0%9F%98%80',
  '%', '%z', '%zz', '%E9', '%C0%80', '%ED%A0%80', 'jwt', '/', '?',
];
const raw = (pieces: string[], maxLength: number) => fc.array(fc.constantFrom(...pieces), { maxLength }).map((p) => p.join(''));

const method = fc.oneof(fc.constantFrom('GET', 'get', 'Post', 'PUT', 'DELETE', 'patch', 'HEAD', 'OPTIONS'), fc.stringMatching(/^[A-Za-z][A-Za-z-]{0,9}$/));
// Path segments: no '/', '?' or '#' (they end a segment or the path); '.' and '..' are resolved by the URL parser.
const segment = raw(RAW_PIECES.filter((p) => !['/', '?'].includes(p)), 6);
// A small pool of names makes repeated parameters common; `jwt` must be left out.
const name = fc.oneof(fc.constantFrom('a', 'A', 'b', 'a1', 'a[', 'é', 'jwt', 'x y', 'x+y', 'x%2By', 'k=', ''), raw(RAW_PIECES.filter((p) => p !== '?'), 4).map((n) => n.replaceAll('=', '%3D')));
const value = raw(RAW_PIECES.concat(['=']), 6);
const pair = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(name, value).map(([n, v]) => `${n}=${v}`) },
  { weight: 1, arbitrary: name }, // a name without '='
  { weight: 1, arbitrary: fc.constant('') }, // an empty segment: `a=1&&b=2`
);
const query = fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.map((p) => p.replaceAll('&', '%26')).join('&'));
// No trailing slash: with base `/myapp/`, atlassian-jwt turns `/myapp//a` into `/a` and we into `//a` (qsh.test.ts).
const base = fc.constantFrom('https://app.example.com', 'https://x.ngrok.app/myapp', 'https://h.example.com/a/b%20c');

/** An app request: a path under the base URL, any query; returned as the app would see `request.url`. */
const appRequest = fc
  .record({ method, base, segments: fc.array(segment, { maxLength: 4 }), trailingSlash: fc.boolean(), query, withQuery: fc.boolean() })
  .map(({ method, base, segments, trailingSlash, query, withQuery }) => {
    const root = new URL(base);
    const basePath = root.pathname.replace(/\/+$/, '');
    const path = `${basePath}/${segments.join('/')}${trailingSlash ? '/' : ''}`;
    const url = new URL(`${root.origin}${path}${withQuery ? '?' + query : ''}`).href;
    return { method, url, baseUrl: base };
  });

const reference = ({ method, url, baseUrl }: { method: string; url: string; baseUrl: string }) =>
  ajwt.createCanonicalRequest(ajwt.fromMethodAndUrl(method, url), false, baseUrl);
const referenceQsh = ({ method, url, baseUrl }: { method: string; url: string; baseUrl: string }) =>
  ajwt.createQueryStringHash(ajwt.fromMethodAndUrl(method, url), false, baseUrl);

describe('against atlassian-jwt, on generated requests', () => {
  it('the atlassian-jwt dialect is byte-identical to createCanonicalRequest', () => {
    fc.assert(
      fc.property(appRequest, (request) => {
        expect(canonicalRequest(request, 'atlassian-jwt')).toBe(reference(request));
      }),
      { numRuns: RUNS },
    );
  });

  it('the atlassian-jwt dialect hashes to createQueryStringHash', () => {
    fc.assert(
      fc.property(appRequest, (request) => {
        expect(computeQsh(request, 'atlassian-jwt')).toBe(referenceQsh(request));
      }),
      { numRuns: RUNS },
    );
  });

  it("the spec dialect is atlassian-jwt's with parameters ordered by encoded name and ' ^ | unescaped in the path", () => {
    const escape = (path: string) => path.replace(/['^|]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
    // Encoded names and values never contain '&' or '=' (both are percent-encoded), so splitting is safe.
    const byEncodedName = (a: string, b: string) => (a.split('=')[0]! < b.split('=')[0]! ? -1 : 1);
    let differing = 0;
    fc.assert(
      fc.property(appRequest, (request) => {
        const referenceForm = reference(request);
        const [refMethod, refPath, ...refParams] = referenceForm.split('&');
        const spec = canonicalRequest(request, 'spec');
        const [method, path, ...params] = spec.split('&');
        expect(method).toBe(refMethod);
        expect(escape(path!)).toBe(refPath);
        expect(params).toEqual(refParams.sort(byEncodedName));
        if (spec !== referenceForm) differing++;
      }),
      { numRuns: RUNS },
    );
    // The generator must reach the cases where the dialects differ, or this proves nothing.
    expect(differing).toBeGreaterThan(RUNS / 20);
  });

  it('inbound verification accepts the qsh atlassian-jwt computes', () => {
    fc.assert(
      fc.property(appRequest, (request) => {
        expect(qshMatches(referenceQsh(request), request)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('adding a parameter changes the hash', () => {
    fc.assert(
      fc.property(appRequest, fc.stringMatching(/^[a-z]{1,6}$/), fc.string({ maxLength: 6 }), (request, n, v) => {
        fc.pre(n !== 'jwt');
        const url = new URL(request.url);
        url.searchParams.append(n, v);
        expect(qshMatches(computeQsh(request), { ...request, url: url.href })).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  it('reordering parameters in the URL does not change the hash', () => {
    fc.assert(
      fc.property(appRequest, (request) => {
        const url = new URL(request.url);
        const reversed = new URL(url);
        reversed.search = '';
        for (const [n, v] of [...url.searchParams].reverse()) reversed.searchParams.append(n, v);
        expect(computeQsh({ ...request, url: reversed.href })).toBe(computeQsh(request));
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on any query string, however malformed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), raw(RAW_PIECES.concat(['=', '&', '#']), 20), (junk, pieces) => {
        for (const q of [junk, pieces]) {
          // atlassian-jwt drops __proto__; we sign it (qsh.test.ts).
          if (new URLSearchParams(q).has('__proto__')) continue;
          const url = new URL(`https://app.example.com/p?${q}`).href;
          expect(() => canonicalRequest({ method: 'GET', url })).not.toThrow();
          expect(canonicalRequest({ method: 'GET', url }, 'atlassian-jwt')).toBe(reference({ method: 'GET', url, baseUrl: 'https://app.example.com' }));
        }
      }),
      { numRuns: RUNS },
    );
  });
});
