/**
 * Pushes a new image tag to the running demo's registry and asks Ferry to look at once:
 *   node scripts/demo-push.ts 1.2.0
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '@ferry/launcher';
import { buildImage } from '@ferry/support';

const tag = process.argv[2];
if (!tag) {
  console.error('usage: node scripts/demo-push.ts TAG');
  process.exit(2);
}
let demo: { registry: string; image: string; api: string; token?: string };
try {
  demo = JSON.parse(await readFile(join(ROOT, '.ferry', 'demo.json'), 'utf8'));
} catch {
  console.error('no running demo found (.ferry/demo.json); start one with "pnpm demo"');
  process.exit(1);
}
const image = buildImage();
const repo = 'demo/app';
for (const blob of [image.layer, image.config]) {
  const start = await fetch(`${demo.registry}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  const location = new URL(start.headers.get('location')!, demo.registry);
  location.searchParams.set('digest', blob.digest);
  const put = await fetch(location, {
    method: 'PUT',
    body: blob.bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (!put.ok) throw new Error(`blob upload failed: ${put.status} ${await put.text()}`);
}
const put = await fetch(`${demo.registry}/v2/${repo}/manifests/${tag}`, {
  method: 'PUT',
  body: image.manifest.bytes,
  headers: { 'content-type': image.manifest.mediaType },
});
if (!put.ok) throw new Error(`manifest upload failed: ${put.status} ${await put.text()}`);
console.log(`pushed ${demo.image}:${tag} (${put.headers.get('docker-content-digest')})`);
const refresh = await fetch(`${demo.api}/api/v1/projects/demo/warehouses/app/refresh`, {
  method: 'POST',
  headers: demo.token ? { authorization: `Bearer ${demo.token}` } : {},
});
if (!refresh.ok) throw new Error(`asking Ferry to refresh failed: ${refresh.status} ${await refresh.text()}`);
console.log('asked Ferry to discover now: pnpm ferry get freight -p demo');
