/**
 * `pnpm demo`: Ferry with a demo pipeline on this machine. Starts a real OCI registry with
 * images, a GitOps repository (dev/uat/prod overlays) served over smart HTTP, the Kubernetes
 * API test server with its Argo CD simulator, and Ferry's six services; applies the demo
 * Project and prints what to try next. Ctrl-C stops everything.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { demoManifests, startDemoEnvironment } from '@ferry/e2e';
import { ensureServers, portOpen, ROOT, startFleet } from '@ferry/launcher';
import { Redis } from 'ioredis';

const PROJECT = 'demo';
// Auth is on (token mode) in the demo too: a fresh admin token each run unless one is given.
const token = process.env.FERRY_BOOTSTRAP_ADMIN_TOKEN || `ferry_${randomBytes(32).toString('base64url')}`;
const authz = { authorization: `Bearer ${token}` };
const say = (l: string) => console.log(`[demo] ${l}`);
const apiPort = Number(process.env.FERRY_API_PORT ?? 8080);
const redisUrl = process.env.FERRY_DEMO_REDIS_URL ?? 'redis://127.0.0.1:6379/1';

try {
  await ensureServers(process.env, say);
} catch (err) {
  console.error(`[demo] ${(err as Error).message}`);
  process.exit(1);
}
if (await portOpen('127.0.0.1', apiPort)) {
  console.error(`[demo] port ${apiPort} is taken (is Ferry already running?); stop it or set FERRY_API_PORT`);
  process.exit(1);
}

say('starting a registry, a GitOps repository and a Kubernetes API with an Argo CD simulator');
const env = await startDemoEnvironment(PROJECT);
for (const tag of ['0.9.0', '1.0.0', '1.1.0-rc.1']) await env.registry.pushImage('demo/app', tag);

// The demo keeps its state in a Redis database of its own, emptied at each start.
const redis = new Redis(redisUrl);
await redis.flushdb();
await redis.quit();

const fleet = startFleet({
  env: {
    ...process.env,
    FERRY_REDIS_URL: redisUrl,
    FERRY_API_PORT: String(apiPort),
    FERRY_BOOTSTRAP_ADMIN_TOKEN: token,
    FERRY_GIT_CACHE_DIR: join(ROOT, '.ferry', 'demo-git-cache'),
    KUBECONFIG: env.kube.kubeconfigPath,
  },
  onLine: (service, line) => {
    if (process.env.FERRY_DEMO_LOGS) process.stdout.write(`[${service.padEnd(16)}] ${line}\n`);
  },
});
let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  say('stopping');
  await fleet.stop();
  await env.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
for (const [name, child] of fleet.processes) {
  child.on('exit', (code) => {
    if (!stopping) {
      console.error(`[demo] ${name} exited (${code}); stopping`);
      void shutdown();
    }
  });
}

const api = `http://127.0.0.1:${apiPort}`;
for (let i = 0; !(await portOpen('127.0.0.1', apiPort, 200)); i++) {
  if (i > 300) throw new Error('the api did not start within 30s; rerun with FERRY_DEMO_LOGS=1 to see why');
  await new Promise((r) => setTimeout(r, 100));
}
const manifests = `${demoManifests(PROJECT, env.image, env.repoURL)}---
apiVersion: kargo.akuity.io/v1alpha1
kind: ProjectConfig
metadata:
  name: ${PROJECT}
  namespace: ${PROJECT}
spec:
  promotionPolicies:
    - stageSelector:
        name: dev
      autoPromotionEnabled: true
`;
const file = join(ROOT, '.ferry', 'demo-pipeline.yaml');
await writeFile(file, manifests);
const res = await fetch(`${api}/api/v1/apply`, {
  method: 'POST',
  headers: { 'content-type': 'application/json', ...authz },
  body: JSON.stringify({ manifests, source: file }),
});
if (!res.ok) throw new Error(`applying the demo pipeline failed: ${await res.text()}`);
await fetch(`${api}/api/v1/projects/${PROJECT}/warehouses/app/refresh`, { method: 'POST', headers: authz });
// demo-push.ts reads the token from here; the file is the user's own (mode 0600).
await writeFile(
  join(ROOT, '.ferry', 'demo.json'),
  JSON.stringify({ registry: env.registry.url, image: env.image, repoURL: env.repoURL, api, token }, null, 2),
  { mode: 0o600 },
);

console.log(`
Ferry is running with the demo pipeline (Project "${PROJECT}": Warehouse app → Stages dev → uat → prod).

  API          ${api}   (OpenAPI: ${api}/api/v1/openapi.json)
  registry     ${env.registry.url}   image ${env.image}, tags 0.9.0 1.0.0 1.1.0-rc.1
  GitOps repo  ${env.repoURL}   overlays stages/dev, stages/uat, stages/prod
  Kubernetes   ${env.kube.url}   kubeconfig ${env.kube.kubeconfigPath}
  manifests    ${file}   (dev and uat in today's Kargo form, prod in the v0.3 form;
               dev is auto-promoted)

Access: the API wants a token. The admin token of this run is
  export FERRY_TOKEN=${token}
  (the CLI sends it; "pnpm ferry login --server ${api} --token $FERRY_TOKEN" saves it;
  the UI at ${api}/ui asks for it once)

Try, in another shell (after ". scripts/env.sh" and the export above):
  pnpm ferry get freight -p ${PROJECT}
  pnpm ferry get stages -p ${PROJECT}              # dev takes the new Freight by itself
  pnpm ferry promote -p ${PROJECT} --stage uat --freight-alias <ALIAS> --wait
  pnpm ferry promote -p ${PROJECT} --stage prod --freight-alias <ALIAS> --wait
  node scripts/demo-push.ts 1.2.0                 # push a new image; dev follows within seconds
  git clone ${env.repoURL} && git -C gitops log --oneline
  KUBECONFIG=${env.kube.kubeconfigPath} kubectl get applications.argoproj.io -n argocd -o yaml

Ctrl-C stops everything. FERRY_DEMO_LOGS=1 shows the services' logs.
`);
