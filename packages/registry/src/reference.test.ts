import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidImageRepoError } from './errors.ts';
import { canonicalRegistryHost, parseImageRepo, usesPlainHttp } from './reference.ts';

describe('parseImageRepo', () => {
  const valid: [string, string, string, string][] = [
    // input, registry, repository, apiHost
    ['nginx', 'docker.io', 'library/nginx', 'registry-1.docker.io'],
    ['foo/bar', 'docker.io', 'foo/bar', 'registry-1.docker.io'],
    ['docker.io/nginx', 'docker.io', 'library/nginx', 'registry-1.docker.io'],
    ['index.docker.io/library/nginx', 'docker.io', 'library/nginx', 'registry-1.docker.io'],
    ['registry-1.docker.io/foo/bar', 'docker.io', 'foo/bar', 'registry-1.docker.io'],
    ['localhost/app', 'localhost', 'app', 'localhost'],
    ['localhost:5000/x', 'localhost:5000', 'x', 'localhost:5000'],
    ['127.0.0.1:5000/x', '127.0.0.1:5000', 'x', '127.0.0.1:5000'],
    ['[::1]:5000/team/x', '[::1]:5000', 'team/x', '[::1]:5000'],
    ['ghcr.io/a/b', 'ghcr.io', 'a/b', 'ghcr.io'],
    ['GHCR.io/a/b', 'ghcr.io', 'a/b', 'ghcr.io'],
    ['quay.io/org/sub/app-name_1.2', 'quay.io', 'org/sub/app-name_1.2', 'quay.io'],
    [
      'my-registry.example.com:8443/a__b/c--d',
      'my-registry.example.com:8443',
      'a__b/c--d',
      'my-registry.example.com:8443',
    ],
  ];
  for (const [input, registry, repository, apiHost] of valid) {
    it(`parses ${input}`, () => {
      assert.deepEqual(parseImageRepo(input), {
        registry,
        repository,
        canonical: `${registry}/${repository}`,
        apiHost,
      });
    });
  }

  const invalid: [unknown, string][] = [
    ['', 'invalid image repository "": it is empty'],
    [42, 'invalid image repository (number): expected a string'],
    [' nginx', 'invalid image repository " nginx": it contains whitespace'],
    [
      'https://ghcr.io/a/b',
      'invalid image repository "https://ghcr.io/a/b": it must not start with a URL scheme; write host/path, e.g. ghcr.io/org/app',
    ],
    [
      'nginx:1.25',
      'invalid image repository "nginx:1.25": it must not include a tag; name the repository only',
    ],
    [
      'ghcr.io/a/b:v1',
      'invalid image repository "ghcr.io/a/b:v1": it must not include a tag; name the repository only',
    ],
    [
      'nginx@sha256:abc',
      'invalid image repository "nginx@sha256:abc": it must not include a digest; name the repository only',
    ],
    ['Foo/bar', 'invalid image repository "Foo/bar": the repository path must be lowercase'],
    [
      'ghcr.io//a',
      'invalid image repository "ghcr.io//a": it has an empty path component (leading, trailing or double slash)',
    ],
    [
      'ghcr.io/a/',
      'invalid image repository "ghcr.io/a/": it has an empty path component (leading, trailing or double slash)',
    ],
    [
      'ghcr.io/a..b',
      "invalid image repository \"ghcr.io/a..b\": path component \"a..b\" may only hold a-z, 0-9 and single '.', '_', '__' or '-' separators",
    ],
    [
      'localhost:99999/a',
      'invalid image repository "localhost:99999/a": registry port "99999" is not a number from 1 to 65535',
    ],
    [
      'bad_host.io/a',
      'invalid image repository "bad_host.io/a": registry host "bad_host.io" is not a valid host name',
    ],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseImageRepo(input),
        (err: unknown) => {
          assert.ok(err instanceof InvalidImageRepoError);
          assert.equal(err.code, 'FERRY_ERR_REGISTRY_INVALID_REFERENCE');
          assert.equal(err.name, 'InvalidImageRepoError');
          assert.equal(err.message, message);
          return true;
        },
      );
    });
  }
});

describe('usesPlainHttp', () => {
  const cases: [string, readonly string[], boolean][] = [
    ['localhost', [], true],
    ['localhost:5000', [], true],
    ['127.0.0.1:5000', [], true],
    ['127.8.9.10', [], true],
    ['[::1]:5000', [], true],
    ['128.0.0.1:5000', [], false],
    ['ghcr.io', [], false],
    ['registry-1.docker.io', [], false],
    ['registry.lan:5000', ['registry.lan:5000'], true],
    ['registry.lan:5000', ['registry.lan'], true],
    ['registry.lan:5001', ['registry.lan:5000'], false],
    ['registry.lan:5000', ['http://Registry.LAN:5000/'], true],
  ];
  for (const [host, insecure, expected] of cases) {
    it(`${host} with ${JSON.stringify(insecure)} → ${expected ? 'http' : 'https'}`, () => {
      assert.equal(usesPlainHttp(host, insecure), expected);
    });
  }
});

describe('canonicalRegistryHost', () => {
  const cases: [string, string | undefined][] = [
    ['https://index.docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['docker.io', 'docker.io'],
    ['https://GHCR.io', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['', undefined],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(canonicalRegistryHost(input), expected));
  }
});
