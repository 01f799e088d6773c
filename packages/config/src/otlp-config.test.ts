import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.ts';

test('OTLP export follows the standard variables: protocol, endpoint, signal overrides', () => {
  const cases: [Record<string, string>, unknown][] = [
    [{}, undefined],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, undefined],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo:4318' },
      { protocol: 'http/protobuf', url: 'http://tempo:4318/v1/traces', headers: {} },
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318/base/', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
      { protocol: 'http/json', url: 'http://c:4318/base/v1/traces', headers: {} },
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t/x' },
      { protocol: 'http/protobuf', url: 'https://t/x', headers: {} },
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://tempo:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      { protocol: 'grpc', url: 'http://tempo:4317', headers: {} },
    ],
    [
      {
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://tempo:4317/',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      },
      { protocol: 'grpc', url: 'https://tempo:4317', headers: {} },
    ],
    [
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
        OTEL_EXPORTER_OTLP_HEADERS: 'API-Key=a%20b, x-tenant=t1',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-tenant=t2',
      },
      {
        protocol: 'http/protobuf',
        url: 'http://c:4318/v1/traces',
        headers: { 'api-key': 'a b', 'x-tenant': 't2' },
      },
    ],
  ];
  for (const [env, want] of cases) assert.deepEqual(loadConfig(env).otlp, want, JSON.stringify(env));
});

test('bad OTLP settings are each named by their variable, header values never echoed', () => {
  assert.throws(
    () =>
      loadConfig({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift',
        OTEL_EXPORTER_OTLP_HEADERS: 'ok=1,secret-only,=x',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://c',
      }),
    (err: Error & { problems: unknown }) => {
      assert.deepEqual(err.problems, [
        {
          path: 'OTEL_EXPORTER_OTLP_PROTOCOL',
          message: 'must be one of grpc, http/protobuf, http/json, got "thrift"',
        },
        {
          path: 'OTEL_EXPORTER_OTLP_HEADERS',
          message:
            'entry #2 is not key=value with a header name and a URL-encoded value, like "api-key=secret"',
        },
        {
          path: 'OTEL_EXPORTER_OTLP_HEADERS',
          message:
            'entry #3 is not key=value with a header name and a URL-encoded value, like "api-key=secret"',
        },
        { path: 'OTEL_EXPORTER_OTLP_ENDPOINT', message: 'must use http: or https:, got "ftp:"' },
      ]);
      return true;
    },
  );
  assert.throws(
    () =>
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317/v1', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }),
    /OTEL_EXPORTER_OTLP_ENDPOINT/,
  );
  assert.throws(
    () => loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'nope' }),
    (err: Error & { problems: unknown }) => {
      assert.deepEqual(err.problems, [
        {
          path: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
          message: 'is not a URL: "nope"; write it like http://collector:4318',
        },
      ]);
      return true;
    },
  );
});
