// CLI: `node test/kube-sim/src/main.ts [--port N] [--host H] [--no-argocd] [-f apps.yaml ...]`.
// Starts the simulated API server (with the Argo CD simulator), prints where it is, loads manifests and
// runs until SIGINT or SIGTERM.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { startKubeSim } from './index.ts';

const USAGE = `usage: kube-sim [--port N] [--host ADDR] [--work-dir DIR] [--health-delay-ms N] [--no-argocd] [-f FILE]...
  --port       port to listen on (default: KUBE_SIM_PORT, else a random free port)
  -f, --file   YAML file of Application manifests to create (multi-document; repeatable)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      file: { type: 'string', short: 'f', multiple: true },
      'work-dir': { type: 'string' },
      'health-delay-ms': { type: 'string' },
      'no-argocd': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const portText = values.port ?? process.env.KUBE_SIM_PORT ?? '0';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`kube-sim: invalid port ${JSON.stringify(portText)}\n${USAGE}`);
    return 2;
  }
  const healthDelayMs =
    values['health-delay-ms'] === undefined ? undefined : Number(values['health-delay-ms']);
  if (healthDelayMs !== undefined && !(Number.isFinite(healthDelayMs) && healthDelayMs >= 0)) {
    console.error(
      `kube-sim: invalid --health-delay-ms ${JSON.stringify(values['health-delay-ms'])}\n${USAGE}`,
    );
    return 2;
  }
  const manifests: unknown[] = [];
  for (const file of values.file ?? []) {
    for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const value: unknown = doc.toJS();
      if (value !== null && value !== undefined) manifests.push(value);
    }
  }
  const sim = await startKubeSim({
    port,
    host: values.host,
    workDir: values['work-dir'],
    argocd: !values['no-argocd'],
    healthDelayMs,
  });
  let loaded: unknown[];
  try {
    loaded = sim.load(manifests);
  } catch (err) {
    await sim.close();
    throw err;
  }
  console.log(`kube-sim: API server listening at ${sim.url}`);
  console.log(`kube-sim: kubeconfig written to ${sim.kubeconfigPath}`);
  console.log(`kube-sim: export KUBECONFIG=${sim.kubeconfigPath}`);
  if (loaded.length > 0) console.log(`kube-sim: loaded ${loaded.length} manifest(s)`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('kube-sim: shutting down');
  await sim.close();
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error('kube-sim:', err instanceof Error ? err.message : err);
    process.exitCode = 1;
  },
);
