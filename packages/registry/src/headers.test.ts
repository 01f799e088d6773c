import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLinkNext, parseRetryAfter, parseWwwAuthenticate } from './headers.ts';

describe('parseWwwAuthenticate', () => {
  const cases: [string | null, ReturnType<typeof parseWwwAuthenticate>][] = [
    [null, []],
    ['', []],
    [
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/nginx:pull',
          },
        },
      ],
    ],
    [
      'Bearer realm="http://127.0.0.1:1/token",service="svc",scope="repository:a/b:pull,push",error="insufficient_scope"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'http://127.0.0.1:1/token',
            service: 'svc',
            scope: 'repository:a/b:pull,push',
            error: 'insufficient_scope',
          },
        },
      ],
    ],
    ['Basic realm="ferry-test-registry"', [{ scheme: 'basic', params: { realm: 'ferry-test-registry' } }]],
    ['basic Realm=plain', [{ scheme: 'basic', params: { realm: 'plain' } }]],
    [
      'Bearer realm = "r" , service=s, Basic realm="b \\"q\\""',
      [
        { scheme: 'bearer', params: { realm: 'r', service: 's' } },
        { scheme: 'basic', params: { realm: 'b "q"' } },
      ],
    ],
    ['Bearer', [{ scheme: 'bearer', params: {} }]],
  ];
  for (const [header, expected] of cases) {
    it(`parses ${JSON.stringify(header)}`, () => assert.deepEqual(parseWwwAuthenticate(header), expected));
  }
});

describe('parseLinkNext', () => {
  const base = 'https://r.example/v2/app/tags/list';
  const cases: [string | null, string | undefined][] = [
    [null, undefined],
    ['', undefined],
    ['</v2/app/tags/list?last=b&n=2>; rel="next"', 'https://r.example/v2/app/tags/list?last=b&n=2'],
    [
      '<https://r.example/v2/app/tags/list?n=2&last=b>; rel=next',
      'https://r.example/v2/app/tags/list?n=2&last=b',
    ],
    ['<?last=c>; rel="next"', 'https://r.example/v2/app/tags/list?last=c'],
    [
      '</v2/app/tags/list?last=a>; rel="prev", </v2/app/tags/list?last=z>; rel="next"',
      'https://r.example/v2/app/tags/list?last=z',
    ],
    ['</x?a=1,2>; title="a, b"; rel="last next"', 'https://r.example/x?a=1,2'],
    ['</v2/app/tags/list?last=a>; rel="prev"', undefined],
  ];
  for (const [header, expected] of cases) {
    it(`reads ${JSON.stringify(header)}`, () => assert.equal(parseLinkNext(header, base), expected));
  }
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads delay-seconds', () => assert.equal(parseRetryAfter('30', now), 30));
  it('reads an HTTP date', () => assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:01:00 GMT', now), 60));
  it('never goes negative', () => assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0));
  it('ignores garbage', () => assert.equal(parseRetryAfter('soon', now), undefined));
  it('ignores absence', () => assert.equal(parseRetryAfter(null, now), undefined));
});
