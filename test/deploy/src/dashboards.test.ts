import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type ServiceName, serviceRuntime } from '@ferry/launcher';
import { registry, startDefaultMetrics } from '@ferry/metrics';
import { parse } from 'yaml';
import { exportedMetricOf, metricNamesIn, metricOfLabelValues } from './promql.ts';

// The local observability stack (deploy/grafana, deploy/prometheus, deploy/tempo and
// docker-compose.yml) checked offline: docker cannot run here, so the files are parsed and
// cross-checked against each other and against the metrics Ferry exports.

/** Parsed JSON or YAML; each test reads the fields it checks. */
interface Doc {
  // biome-ignore lint/suspicious/noExplicitAny: parsed files of many shapes, checked field by field
  [field: string]: any;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const DASHBOARDS = join(ROOT, 'deploy/grafana/dashboards');
const readYaml = (rel: string): Doc => parse(readFileSync(join(ROOT, rel), 'utf8'), { merge: true });

// Every Ferry metric lives in @ferry/metrics (see the guard below); the default process metrics
// appear once started, as every service starts them.
startDefaultMetrics();
const exported = new Map(
  (await registry.getMetricsAsJSON()).map((m) => [m.name, String(m.type)] as [string, string]),
);

const dashboards = readdirSync(DASHBOARDS)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, text: readFileSync(join(DASHBOARDS, file), 'utf8') }));

/** Every object in a JSON tree, depth first. */
function* objectsIn(node: unknown): Generator<Record<string, Doc>> {
  if (Array.isArray(node)) for (const n of node) yield* objectsIn(n);
  else if (node && typeof node === 'object') {
    yield node as Record<string, Doc>;
    for (const v of Object.values(node)) yield* objectsIn(v);
  }
}

/** Every panel of a dashboard, rows' nested panels included. */
function panelsOf(d: Doc): Doc[] {
  return (d.panels ?? []).flatMap((p: Doc) => [p, ...(p.panels ?? [])]);
}

const provisioned = readYaml('deploy/grafana/provisioning/datasources/datasources.yaml');
const dsByUid = new Map<string, Doc>(provisioned.datasources.map((d: Doc) => [d.uid, d]));

describe('promql reading', () => {
  it('lists the metric names an expression selects', () => {
    const cases: [string, string[]][] = [
      ['ferry_a_total', ['ferry_a_total']],
      ['sum by (phase) (rate(ferry_a_total{x=~"$x", y="by(z)"}[$__rate_interval]))', ['ferry_a_total']],
      [
        'histogram_quantile(0.95, sum by (le, stage) (rate(ferry_h_seconds_bucket[5m])))',
        ['ferry_h_seconds_bucket'],
      ],
      ['sum(ferry_a) / sum(ferry_b) or on (x) ferry_a', ['ferry_a', 'ferry_b']],
      ['max(ferry_g) > bool 0 unless ferry_h offset 1h', ['ferry_g', 'ferry_h']],
      ['1 - 2 * 3e5', []],
    ];
    for (const [expr, want] of cases) assert.deepEqual(metricNamesIn(expr), want, expr);
  });

  it('reads the metric of a label_values query', () => {
    assert.equal(metricOfLabelValues('label_values(ferry_x_total{p=~"$p"}, stage)'), 'ferry_x_total');
    assert.equal(metricOfLabelValues('query_result(up)'), undefined);
  });

  it('maps histogram series to their histogram and nothing else', () => {
    const metrics = new Map([
      ['ferry_h_seconds', 'histogram'],
      ['ferry_c', 'counter'],
      ['ferry_c_count', 'counter'],
    ]);
    const cases: [string, string | undefined][] = [
      ['ferry_h_seconds_bucket', 'ferry_h_seconds'],
      ['ferry_h_seconds_sum', 'ferry_h_seconds'],
      ['ferry_h_seconds', 'ferry_h_seconds'],
      ['ferry_c_count', 'ferry_c_count'],
      ['ferry_c_sum', undefined],
      ['ferry_nope', undefined],
    ];
    for (const [series, want] of cases) assert.equal(exportedMetricOf(series, metrics), want, series);
  });
});

describe('metric catalogue', () => {
  it('is defined in packages/metrics only, so importing it gathers every metric', () => {
    const elsewhere: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'node_modules') walk(path);
        } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
          if (/new (?:Counter|Gauge|Histogram|Summary)\s*\(/.test(readFileSync(path, 'utf8')))
            elsewhere.push(relative(ROOT, path));
        }
      }
    };
    for (const top of ['packages', 'services']) walk(join(ROOT, top));
    assert.deepEqual(
      elsewhere.filter((p) => !p.startsWith('packages/metrics/src/')),
      [],
      'define metrics in packages/metrics/src so dashboards.test.ts sees them',
    );
  });

  it('names every metric ferry_* and lists every Ferry metric in docs/operations.md', () => {
    const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const own = [...exported.keys()].filter(
      (n) => !n.startsWith('ferry_process_') && !n.startsWith('ferry_nodejs_'),
    );
    assert.deepEqual(
      [...exported.keys()].filter((n) => !n.startsWith('ferry_')),
      [],
    );
    assert.deepEqual(
      own.filter((n) => !docs.includes(`| \`${n}\` |`)),
      [],
      'add a row to the Metrics table of docs/operations.md',
    );
  });
});

describe('grafana dashboards', () => {
  it('ship the four dashboards', () => {
    assert.deepEqual(
      dashboards.map((d) => d.file),
      [
        'ferry-discovery-registries.json',
        'ferry-git.json',
        'ferry-overview.json',
        'ferry-promotions-dora.json',
      ],
    );
  });

  for (const { file, text } of dashboards) {
    describe(file, () => {
      const d = JSON.parse(text);
      const variables = new Map<string, Doc>((d.templating?.list ?? []).map((v: Doc) => [v.name, v]));

      it('is a schemaVersion 39+ dashboard with a uid and unique panel ids', () => {
        assert.ok(d.schemaVersion >= 39, `schemaVersion ${d.schemaVersion}`);
        assert.match(d.uid, /^[a-z0-9-]{1,40}$/);
        const ids = panelsOf(d).map((p) => p.id);
        assert.ok(
          ids.every((id) => Number.isInteger(id)),
          'every panel has an integer id',
        );
        assert.deepEqual(
          ids.filter((id, i) => ids.indexOf(id) !== i),
          [],
        );
      });

      it('refers to provisioned data sources only, directly or through a datasource variable', () => {
        const problems: string[] = [];
        for (const o of objectsIn(d.panels)) {
          const ds = o.datasource;
          if (!ds || typeof ds !== 'object') continue;
          const uid: string = ds.uid;
          const variable = /^\$\{?(\w+)\}?$/.exec(uid)?.[1];
          const target = variable ? variables.get(variable) : dsByUid.get(uid);
          if (variable) {
            if (target?.type !== 'datasource') problems.push(`${uid}: not a datasource variable`);
            else if (dsByUid.get(target.current?.value)?.type !== target.query)
              problems.push(`${uid}: its default ${target.current?.value} is no provisioned ${target.query}`);
          } else if (!target) problems.push(`${uid}: not provisioned`);
          if (ds.type && !variable && target && target.type !== ds.type)
            problems.push(`${uid}: type ${ds.type}, provisioned as ${target.type}`);
        }
        assert.deepEqual(problems, []);
      });

      it('queries only metrics Ferry exports', () => {
        const queried: string[] = [];
        for (const p of panelsOf(d))
          for (const t of p.targets ?? []) if (t.expr) queried.push(...metricNamesIn(t.expr));
        for (const v of variables.values()) {
          const q = typeof v.query === 'string' ? v.query : v.query?.query;
          const m = typeof q === 'string' ? metricOfLabelValues(q) : undefined;
          if (m) queried.push(m);
        }
        assert.ok(queried.length > 0, 'a dashboard queries something');
        assert.deepEqual(
          [...new Set(queried)].filter((n) => !exportedMetricOf(n, exported)),
          [],
        );
      });
    });
  }

  it('together chart every Ferry metric', () => {
    const used = new Set<string>();
    for (const { text } of dashboards)
      for (const p of panelsOf(JSON.parse(text)))
        for (const t of p.targets ?? [])
          for (const n of metricNamesIn(t.expr ?? '')) used.add(exportedMetricOf(n, exported) ?? n);
    const own = [...exported.keys()].filter(
      (n) => !n.startsWith('ferry_process_') && !n.startsWith('ferry_nodejs_'),
    );
    assert.deepEqual(
      own.filter((n) => !used.has(n)),
      [],
    );
  });
});

describe('grafana provisioning', () => {
  it('provisions Prometheus and Tempo, trace ids linking to Tempo, no trace-to-logs', () => {
    assert.deepEqual(
      provisioned.datasources.map((d: Doc) => [d.uid, d.type, d.url]),
      [
        ['prometheus', 'prometheus', 'http://prometheus:9090'],
        ['tempo', 'tempo', 'http://tempo:3200'],
      ],
    );
    assert.deepEqual(dsByUid.get('prometheus')?.jsonData.exemplarTraceIdDestinations, [
      { name: 'trace_id', datasourceUid: 'tempo' },
    ]);
    const tempo = dsByUid.get('tempo')?.jsonData;
    assert.equal(tempo.tracesToLogs, undefined);
    assert.equal(tempo.tracesToLogsV2, undefined);
  });

  it('loads the dashboards from where compose mounts them', () => {
    const providers = readYaml('deploy/grafana/provisioning/dashboards/dashboards.yaml').providers;
    assert.deepEqual(
      providers.map((p: Doc) => [p.type, p.options.path]),
      [['file', '/var/lib/grafana/dashboards']],
    );
  });
});

describe('docker compose stack', () => {
  const compose = readYaml('docker-compose.yml');
  const services: Doc = compose.services;
  const ferry = Object.entries(services)
    .filter(([, s]) => s.command?.[0] === 'node')
    .map(([name]) => name)
    .sort();

  it('runs every Ferry service beside NATS, Redis, Tempo, Prometheus and Grafana', () => {
    const serviceDirs = readdirSync(join(ROOT, 'services')).sort();
    assert.deepEqual(ferry, serviceDirs);
    for (const name of ferry)
      assert.deepEqual(
        services[name].command,
        ['node', ...serviceRuntime(name as ServiceName, 'bundle').nodeArgs, `dist/services/${name}.mjs`],
        name,
      );
    for (const name of ['nats', 'redis', 'tempo', 'prometheus', 'grafana'])
      assert.ok(services[name]?.image, `${name} has an image`);
  });

  it('gives every Ferry service its ops port on 9090 and Tempo as trace endpoint', () => {
    for (const name of ferry) {
      const env = services[name].environment;
      assert.deepEqual(
        [env.FERRY_OPS_HOST, String(env.FERRY_OPS_PORT), env.OTEL_EXPORTER_OTLP_ENDPOINT],
        // biome-ignore lint/suspicious/noTemplateCurlyInString: compose's own variable syntax, kept verbatim
        ['0.0.0.0', '9090', '${OTEL_EXPORTER_OTLP_ENDPOINT:-http://tempo:4318}'],
        name,
      );
    }
  });

  it('mounts files that exist and volumes that are declared', () => {
    const problems: string[] = [];
    for (const [name, s] of Object.entries(services)) {
      for (const v of (s.volumes ?? []) as string[]) {
        const source = v.split(':')[0] ?? '';
        if (source.startsWith('./')) {
          if (!existsSync(join(ROOT, source))) problems.push(`${name}: ${source} does not exist`);
        } else if (!source.startsWith('$') && !source.startsWith('/') && !(source in compose.volumes))
          problems.push(`${name}: volume ${source} is not declared`);
      }
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(services.grafana.environment, {
      GF_AUTH_ANONYMOUS_ENABLED: 'true',
      GF_AUTH_ANONYMOUS_ORG_ROLE: 'Admin',
      GF_AUTH_DISABLE_LOGIN_FORM: 'true',
    });
  });

  it('has Prometheus scrape every Ferry service by its compose name', () => {
    const prom = readYaml('deploy/prometheus/prometheus.yml');
    const targets = prom.scrape_configs
      .filter((c: Doc) => c.job_name !== 'prometheus')
      .map((c: Doc) => [c.job_name, c.static_configs[0].targets]);
    assert.deepEqual(
      targets.sort(),
      ferry.map((n) => [n, [`${n}:9090`]]),
    );
  });

  it('has Tempo take OTLP over HTTP on 4318, published by compose', () => {
    const tempo = readYaml('deploy/tempo/tempo.yaml');
    assert.equal(tempo.distributor.receivers.otlp.protocols.http.endpoint, '0.0.0.0:4318');
    assert.equal(tempo.server.http_listen_port, 3200);
    assert.ok(services.tempo.ports.includes('4318:4318'));
  });
});
