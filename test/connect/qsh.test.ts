import { createHash } from 'node:crypto';
import * as ajwt from 'atlassian-jwt';
import { describe, expect, it } from 'vitest';
import { ConnectError } from '@/lib/connect/errors';
import { canonicalRequest, computeQsh, qshMatches } from '@/lib/connect/qsh';

/** What atlassian-jwt, the reference implementation, computes for the same request. */
const reference = (method: string, url: string, baseUrl?: string) => ajwt.createCanonicalRequest(ajwt.fromMethodAndUrl(method, url), false, baseUrl);
const referenceQsh = (method: string, url: string, baseUrl?: string) => ajwt.createQueryStringHash(ajwt.fromMethodAndUrl(method, url), false, baseUrl);

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjEzODY5MTEzNTYsImlzcyI6ImppcmE6MTU0ODk1OTUiLCJxc2giOiI4MDYzZmY0Y2ExZTQxZGY3YmM5MGM4YWI2ZDBmNjIwN2Q0OTFjZjZkYWQ3YzY2ZWE3OTdiNDYxNGI3MTkyMmU5IiwiaWF0IjoxMzg2OTExMTc2fQ.rAsxpHv0EvpXkhjnZnSV14EXJgDx3KSQjgYRjfKnFt8';
const HELLO_WORLD_QUERY = `lic=none&tz=Australia%2FSydney&cp=%2Fjira&user_key=&loc=en-US&user_id=&jwt=${JWT}&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_c=channel-servlet-hello-world&xdm_p=1`;

describe('published test vectors', () => {
  // "Understanding JWT for Connect apps" and com.atlassian.jwt's JwtConstants.Claims.QUERY_HASH javadoc.
  it("matches the worked example of Atlassian's documentation", () => {
    const url = 'http://localhost:2990/path/to/service?zee_last=param&repeated=parameter 1&first=param&repeated=parameter 2';
    const expected = 'GET&/path/to/service&first=param&repeated=parameter%201,parameter%202&zee_last=param';
    expect(canonicalRequest({ method: 'GET', url, baseUrl: 'http://localhost:2990' })).toBe(expected);
    expect(reference('GET', url, 'http://localhost:2990')).toBe(expected);
  });

  // Bitbucket Cloud's "Query string hash" page.
  it.each([
    ['GET', 'https://app.example.com/?param=foo', 'GET&/&param=foo'],
    ['POST', 'https://app.example.com/user', 'POST&/user&'],
    ['get', 'https://app.example.com/', 'GET&/&'],
    ['Get', 'https://app.example.com/', 'GET&/&'],
  ])('matches the Bitbucket documentation example %s %s', (method, url, expected) => {
    expect(canonicalRequest({ method, url })).toBe(expected);
  });

  // atlassian-connect-core (Haskell), whose doctest is taken from the Connect documentation's rules.
  it('sorts names by code point, upper case first, as the Haskell doctest shows', () => {
    const request = { method: 'GET', url: 'http://localhost:2990/path/to/service?a=1&A=2&b=3&B=4', baseUrl: 'http://localhost:2990' };
    expect(canonicalRequest(request)).toBe('GET&/path/to/service&A=2&B=4&a=1&b=3');
    expect(computeQsh(request)).toBe('70282c7cf82834bd5a3d6dacda1b4ccd5cf5860a63a1fa2fb86b64d576e6a1d5');
  });

  // atlassian-jwt-js test/jwt.test.ts.
  describe('atlassian-jwt', () => {
    const repeated = 'zee_last=param&repeated=parameter 1&first=param&repeated=parameter 2&repeated=Parameter 2';
    const repeatedCanonical = 'GET&/path/to/service&first=param&repeated=Parameter%202,parameter%201,parameter%202&zee_last=param';

    it('creates the canonical request with repeated parameters', () => {
      expect(canonicalRequest({ method: 'get', url: `/path/to/service?${repeated}` })).toBe(repeatedCanonical);
    });

    it("creates the canonical request ignoring the app's base URL", () => {
      expect(canonicalRequest({ method: 'get', url: `/base/path/to/service?${repeated}`, baseUrl: 'https://bitbucket.org/base' })).toBe(repeatedCanonical);
    });

    it('creates the canonical request ignoring the jwt parameter', () => {
      expect(canonicalRequest({ method: 'get', url: `/hello-world?${HELLO_WORLD_QUERY}`, baseUrl: '' })).toBe(
        'GET&/hello-world&cp=%2Fjira&lic=none&loc=en-US&tz=Australia%2FSydney&user_id=&user_key=&xdm_c=channel-servlet-hello-world&xdm_e=http%3A%2F%2Fstorm%3A2990&xdm_p=1',
      );
    });

    it('creates the canonical request with valueless parameters', () => {
      expect(canonicalRequest({ method: 'get', url: '/hello-world?a&b=foo&c', baseUrl: '' })).toBe('GET&/hello-world&a=&b=foo&c=');
    });

    it('creates the canonical request with a context path and ampersands in the path', () => {
      expect(canonicalRequest({ method: 'post', url: '/jira/rest/api/2/project/jira&a=b&c=d?x=y', baseUrl: '/jira' })).toBe('POST&/rest/api/2/project/jira%26a=b%26c=d&x=y');
    });

    it('hashes the entire path below the context path', () => {
      expect(canonicalRequest({ method: 'get', url: '/jira/rest/api/2/project/jira?x=y', baseUrl: '/jira' })).toBe('GET&/rest/api/2/project/jira&x=y');
    });

    it('encodes an ampersand in the path', () => {
      expect(canonicalRequest({ method: 'post', url: '/rest/api/2/project&a=b?x=y', baseUrl: '' })).toBe('POST&/rest/api/2/project%26a=b&x=y');
    });

    it('encodes multiple ampersands in the path', () => {
      expect(canonicalRequest({ method: 'post', url: '/rest/api/2/project&a=b&c=d?x=y', baseUrl: '' })).toBe('POST&/rest/api/2/project%26a=b%26c=d&x=y');
    });

    it('does not let an ampersand in the path pose as a query parameter', () => {
      expect(canonicalRequest({ method: 'post', url: '/rest/api/2/project&a=b?x=y' })).not.toBe(canonicalRequest({ method: 'post', url: '/rest/api/2/project?a=b&x=y' }));
    });

    it.each([
      ['GET', '/path', '799be84a7fa35570087163c0cd9af3abff7ac05c2c12ba0bb1d7eebc984b3ac2'],
      ['GET', '', 'c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239'],
      ['GET', '/', 'c88caad15a1c1a900b8ac08aa9686f4e8184539bea1deda36e2f649430df3239'],
      ['GET', `/hello-world?${HELLO_WORLD_QUERY}`, '8063ff4ca1e41df7bc90c8ab6d0f6207d491cf6dad7c66ea797b4614b71922e9'],
      // The POST-body vector computed without checkBodyForParams: the query is empty.
      ['POST', '/hello-world', '6f95f3738e1b037a3bebbe0ad237d80fdbc1d5ae452e98ce03a9c004c178ebb4'],
    ])('computes the published qsh of %s %j', (method, url, qsh) => {
      expect(computeQsh({ method, url })).toBe(qsh);
    });
  });

  // com.atlassian.jwt.core.HttpRequestCanonicalizerTest, the Java implementation the products run.
  describe('Java HttpRequestCanonicalizer', () => {
    it.each([
      ['GET', '/and/more?foo=bah', 'GET&/and/more&foo=bah'],
      ['PUT', '/simple?foo=bah', 'PUT&/simple&foo=bah'],
      ['POST', '/simple?foo=humbug&foo=bah', 'POST&/simple&foo=bah,humbug'],
      ['GET', '/simple', 'GET&/simple&'],
      ['GET', '/and/more/?foo=humbug&foo=bah&first=param1&last=param 2&last=param 1', 'GET&/and/more&first=param1&foo=bah,humbug&last=param%201,param%202'],
      ['GET', '/some/path?foo=bah bah', 'GET&/some/path&foo=bah%20bah'],
      ['GET', '/some/path?foo=bah%2Bbah', 'GET&/some/path&foo=bah%2Bbah'],
      ['GET', '/some/path&a=b', 'GET&/some/path%26a=b&'],
      ['GET', '/some/path&a=b?x=y', 'GET&/some/path%26a=b&x=y'],
    ])('%s %s', (method, url, expected) => {
      expect(canonicalRequest({ method, url })).toBe(expected);
      expect(reference(method, `https://app.example.com${url}`)).toBe(expected);
    });
  });
});

describe('canonical method', () => {
  it('is the method in upper case', () => {
    expect(canonicalRequest({ method: 'patch', url: '/x' })).toBe('PATCH&/x&');
  });
});

describe('canonical path', () => {
  it("is relative to the app's base URL when the base URL has a path", () => {
    expect(canonicalRequest({ method: 'GET', url: 'https://x.ngrok.app/myapp/issue-panel?a=1', baseUrl: 'https://x.ngrok.app/myapp' })).toBe('GET&/issue-panel&a=1');
  });

  it('uses each call’s own base URL, whichever came before (the last one is remembered, never reused for another)', () => {
    const url = 'https://x.ngrok.app/myapp/issue-panel';
    expect(canonicalRequest({ method: 'GET', url, baseUrl: 'https://x.ngrok.app/myapp' })).toBe('GET&/issue-panel&');
    expect(canonicalRequest({ method: 'GET', url, baseUrl: 'https://x.ngrok.app' })).toBe('GET&/myapp/issue-panel&');
    expect(canonicalRequest({ method: 'GET', url, baseUrl: 'https://x.ngrok.app/other' })).toBe('GET&/myapp/issue-panel&');
    expect(canonicalRequest({ method: 'GET', url, baseUrl: 'https://x.ngrok.app/myapp' })).toBe('GET&/issue-panel&');
  });

  it('ignores a trailing slash on the base URL', () => {
    expect(canonicalRequest({ method: 'GET', url: 'https://x.ngrok.app/myapp/issue-panel', baseUrl: 'https://x.ngrok.app/myapp/' })).toBe('GET&/issue-panel&');
  });

  it('ignores the trailing slash of the base URL even before an empty segment (atlassian-jwt does not)', () => {
    const request = { method: 'GET', url: 'https://x.ngrok.app/myapp//a', baseUrl: 'https://x.ngrok.app/myapp/' };
    expect(canonicalRequest(request)).toBe('GET&//a&');
    expect(canonicalRequest({ ...request, baseUrl: 'https://x.ngrok.app/myapp' })).toBe('GET&//a&');
    expect(reference(request.method, request.url, request.baseUrl)).toBe('GET&/a&');
  });

  it('is / for the base URL itself', () => {
    expect(canonicalRequest({ method: 'GET', url: 'https://x.ngrok.app/myapp', baseUrl: 'https://x.ngrok.app/myapp' })).toBe('GET&/&');
    expect(canonicalRequest({ method: 'GET', url: 'https://x.ngrok.app/myapp/', baseUrl: 'https://x.ngrok.app/myapp' })).toBe('GET&/&');
  });

  it('removes the base path only as whole segments (unlike atlassian-jwt)', () => {
    const request = { method: 'GET', url: 'https://x.ngrok.app/myapplication/panel', baseUrl: 'https://x.ngrok.app/myapp' };
    expect(canonicalRequest(request)).toBe('GET&/myapplication/panel&');
    // atlassian-jwt strips a string prefix; a product would never produce this path from base /myapp.
    expect(reference(request.method, request.url, request.baseUrl)).toBe('GET&/lication/panel&');
    expect(qshMatches(referenceQsh(request.method, request.url, request.baseUrl), request)).toBe(false);
  });

  it('keeps a path outside the base path whole', () => {
    expect(canonicalRequest({ method: 'GET', url: 'https://x.ngrok.app/other/panel', baseUrl: 'https://x.ngrok.app/myapp' })).toBe('GET&/other/panel&');
  });

  it('has no trailing slash', () => {
    expect(canonicalRequest({ method: 'GET', url: '/panel/' })).toBe('GET&/panel&');
  });

  it('is taken as sent, percent-encoded, never decoded', () => {
    expect(canonicalRequest({ method: 'GET', url: '/a%2Fb/%C3%A9/%7E' })).toBe('GET&/a%2Fb/%C3%A9/%7E&');
  });

  it('is the percent-encoded form of a path given unencoded', () => {
    expect(canonicalRequest({ method: 'GET', url: 'https://app.example.com/café/a b' })).toBe('GET&/caf%C3%A9/a%20b&');
  });
});

describe('canonical query', () => {
  const query = (q: string) => canonicalRequest({ method: 'GET', url: `https://app.example.com/p?${q}` }).split('&/p&')[1];

  it('leaves out the jwt parameter, and only that one', () => {
    expect(query('jwt=abc&JWT=def&jwt2=ghi')).toBe('JWT=def&jwt2=ghi');
  });

  it('sorts parameters by name', () => {
    expect(query('b=1&a=2&c=3')).toBe('a=2&b=1&c=3');
  });

  it('joins repeated values with a comma, sorted', () => {
    expect(query('a=z&a=y&a=&a=y')).toBe('a=,y,y,z');
  });

  it('reads + as a space and %2B as a plus', () => {
    expect(query('q=a+b&r=a%2Bb&s%2B=1&t+u=2')).toBe('q=a%20b&r=a%2Bb&s%2B=1&t%20u=2');
  });

  it('encodes per RFC 3986: space %20, * %2A, ~ kept, reserved characters escaped', () => {
    expect(query("v=a%20*~!'()%26%3D%2C%3B:@$/?")).toBe('v=a%20%2A~%21%27%28%29%26%3D%2C%3B%3A%40%24%2F%3F');
  });

  it('decodes and re-encodes unreserved characters sent encoded', () => {
    expect(query('v=%7E%41%2d')).toBe('v=~A-');
  });

  it('encodes non-ASCII names and values as UTF-8', () => {
    expect(query('emoji=%F0%9F%98%80&%C3%A9t%C3%A9=%E4%B8%AD')).toBe('%C3%A9t%C3%A9=%E4%B8%AD&emoji=%F0%9F%98%80');
  });

  it('gives a name without = an empty value, and keeps an empty name', () => {
    expect(query('flag&=x')).toBe('=x&flag=');
  });

  it('skips empty segments', () => {
    expect(query('a=1&&b=2&')).toBe('a=1&b=2');
  });

  it('signs a parameter named __proto__ like any other (atlassian-jwt drops it)', () => {
    expect(query('__proto__=1&a=2')).toBe('__proto__=1&a=2');
  });

  it('reads a % not followed by two hex digits as a literal %, without throwing', () => {
    expect(query('a=%zz&b=100%&c=%2')).toBe('a=%25zz&b=100%25&c=%252');
    expect(reference('GET', 'https://app.example.com/p?a=%zz&b=100%&c=%2')).toBe('GET&/p&a=%25zz&b=100%25&c=%252');
  });

  it('decodes bytes that are not UTF-8 to U+FFFD, without throwing', () => {
    expect(query('a=%E9&b=%C0%80')).toBe('a=%EF%BF%BD&b=%EF%BF%BD%EF%BF%BD');
    expect(reference('GET', 'https://app.example.com/p?a=%E9&b=%C0%80')).toBe('GET&/p&a=%EF%BF%BD&b=%EF%BF%BD%EF%BF%BD');
  });

  it('is empty without parameters', () => {
    expect(query('')).toBe('');
    expect(query('jwt=abc')).toBe('');
  });
});

describe('inputs', () => {
  it('accepts a URL object', () => {
    expect(canonicalRequest({ method: 'GET', url: new URL('https://app.example.com/p?b=1&a=2') })).toBe('GET&/p&a=2&b=1');
  });

  it('ignores the fragment', () => {
    expect(canonicalRequest({ method: 'GET', url: 'https://app.example.com/p?a=1#b=2' })).toBe('GET&/p&a=1');
  });

  it('rejects a URL that cannot be parsed with BAD_REQUEST, not a TypeError', () => {
    expect(() => canonicalRequest({ method: 'GET', url: 'http://[invalid/p' })).toThrow(ConnectError);
    try {
      canonicalRequest({ method: 'GET', url: 'http://[invalid/p' });
    } catch (err) {
      expect((err as ConnectError).code).toBe('BAD_REQUEST');
    }
  });

  it('is the lowercase hex SHA-256 of the canonical request', () => {
    const request = { method: 'GET', url: '/p?b=1&a=2' };
    expect(computeQsh(request)).toBe(createHash('sha256').update('GET&/p&a=2&b=1').digest('hex'));
  });
});

describe('where the spec and atlassian-jwt differ', () => {
  // Java sorts by percent-encoded name ('%' sorts before every unreserved character); atlassian-jwt sorts
  // decoded names by UTF-16 code unit. Values are sorted decoded by both.
  const url = 'https://app.example.com/p?z=1&%C3%A9=2&a%5B=3&a1=4&%EE%80%80=5&%F0%9F%98%80=6';

  it('the spec dialect sorts names by their percent-encoded form', () => {
    expect(canonicalRequest({ method: 'GET', url })).toBe('GET&/p&%C3%A9=2&%EE%80%80=5&%F0%9F%98%80=6&a%5B=3&a1=4&z=1');
  });

  it('the atlassian-jwt dialect sorts names decoded, by UTF-16 code unit, as atlassian-jwt does', () => {
    const expected = 'GET&/p&a1=4&a%5B=3&z=1&%C3%A9=2&%F0%9F%98%80=6&%EE%80%80=5';
    expect(canonicalRequest({ method: 'GET', url }, 'atlassian-jwt')).toBe(expected);
    expect(reference('GET', url)).toBe(expected);
  });

  it('verification accepts the hash of either ordering', () => {
    const request = { method: 'GET', url };
    expect(qshMatches(computeQsh(request, 'spec'), request)).toBe(true);
    expect(qshMatches(computeQsh(request, 'atlassian-jwt'), request)).toBe(true);
    expect(qshMatches(referenceQsh('GET', url), request)).toBe(true);
  });

  it('verification refuses any other ordering', () => {
    const unsorted = 'GET&/p&z=1&%C3%A9=2&a%5B=3&a1=4&%EE%80%80=5&%F0%9F%98%80=6';
    expect(qshMatches(createHash('sha256').update(unsorted).digest('hex'), { method: 'GET', url })).toBe(false);
  });

  it("keeps ' ^ | in the path as sent, where atlassian-jwt escapes them, and accepts both", () => {
    const request = { method: 'GET', url: "https://app.example.com/it's/a^b|c" };
    expect(canonicalRequest(request)).toBe("GET&/it's/a^b|c&");
    expect(canonicalRequest(request, 'atlassian-jwt')).toBe('GET&/it%27s/a%5Eb%7Cc&');
    expect(reference(request.method, request.url)).toBe('GET&/it%27s/a%5Eb%7Cc&');
    expect(qshMatches(computeQsh(request), request)).toBe(true);
    expect(qshMatches(referenceQsh(request.method, request.url), request)).toBe(true);
  });

  it('agree on every request whose names are plain ASCII letters and digits', () => {
    const request = { method: 'GET', url: 'https://app.example.com/p?xdm_e=https%3A%2F%2Fa.atlassian.net&cp=&lic=active&tz=Europe%2FParis&a=1&a=0' };
    expect(canonicalRequest(request, 'spec')).toBe(canonicalRequest(request, 'atlassian-jwt'));
  });
});
