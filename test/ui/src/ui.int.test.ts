import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Bus } from '@ferry/bus';
import type { Freight, Promotion, PromotionStatus } from '@ferry/contracts';
import { createLogger } from '@ferry/observability';
import { Store } from '@ferry/store';
import { startNatsServer, type TestNatsServer } from '@ferry/support';
import { buildApp } from '@ferry/svc-api';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { ensureWebBuilt, launchChromium, type TestBrowser } from './browser.ts';

const SCREENSHOTS = join(import.meta.dirname, '..', 'screenshots');
const log = createLogger('ui-test', 'silent');
const F1 = 'c'.repeat(40);
const F2 = 'd'.repeat(40);

let nats: TestNatsServer;
let store: Store;
let bus: Bus;
let app: FastifyInstance;
let address: string;
let browser: TestBrowser;
let page: Page;

const MANIFESTS = ['dev', 'uat', 'prod']
  .map(
    (name, i, all) => `apiVersion: kargo.akuity.io/v1alpha1
kind: Stage
metadata:
  name: ${name}
  namespace: shop
spec:
  requestedFreight:
    - origin: { kind: Warehouse, name: app }
      sources: ${i === 0 ? '{ direct: true }' : `{ stages: [${all[i - 1]}] }`}
`,
  )
  .concat(`apiVersion: kargo.akuity.io/v1alpha1
kind: Project
metadata:
  name: shop
---
apiVersion: kargo.akuity.io/v1alpha1
kind: Warehouse
metadata:
  name: app
  namespace: shop
spec:
  subscriptions:
    - image:
        repoURL: ghcr.io/acme/app
`)
  .join('---\n');

const freight = (id: string, alias: string, tag: string, created: string): Freight => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Freight',
  metadata: { name: id, namespace: 'shop', creationTimestamp: created },
  alias,
  origin: { kind: 'Warehouse', name: 'app' },
  images: [{ repoURL: 'ghcr.io/acme/app', tag, digest: `sha256:${id.slice(0, 1).repeat(64)}` }],
  commits: [],
  charts: [],
  status: { verifiedIn: {}, approvedFor: {}, currentlyIn: {} },
});

const pending = (createdAt: string): PromotionStatus => ({
  phase: 'Pending',
  message: 'requested',
  currentStep: 0,
  stepExecutionMetadata: [],
  state: {},
  createdAt,
  revision: 0,
});

const promotion = (name: string, stage: string, id: string, createdAt: string): Promotion => ({
  apiVersion: 'kargo.akuity.io/v1alpha1',
  kind: 'Promotion',
  metadata: { name, namespace: 'shop', creationTimestamp: createdAt },
  spec: { stage, freight: id, steps: [{ uses: 'kustomize-set-image', as: 'update-image' }] },
  status: pending(createdAt),
});

const TOKEN = `ferry_ui-test-${process.pid}`;

before(async () => {
  ensureWebBuilt();
  nats = await startNatsServer();
  // DB 6: 14, which the brief suggested, is taken by another suite's whole Ferry at times.
  store = Store.connect('redis://127.0.0.1:6379/6', 'ui-test');
  await store.redis.flushdb();
  bus = await Bus.connect({ servers: nats.url, name: 'ui-test', log, maxDeliver: 3 });
  // Auth on, as in production: the browser logs in with the bootstrap admin token.
  app = await buildApp({ store, bus, log, auth: { mode: 'token', bootstrapAdminToken: TOKEN } });
  address = await app.listen({ host: '127.0.0.1', port: 0 });

  const applied = await fetch(`${address}/api/v1/apply`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ manifests: MANIFESTS }),
  });
  assert.equal(applied.status, 200, await applied.clone().text());
  await store.createFreight(freight(F1, 'brave-lynx', '1.0.0', '2026-01-01T00:00:00Z'), 1);
  await store.createFreight(freight(F2, 'calm-otter', '1.1.0', '2026-01-02T00:00:00Z'), 2);
  // dev already holds brave-lynx: one finished Promotion and its history entry.
  const first = promotion('dev.01.ccccccc', 'dev', F1, '2026-01-01T00:01:00Z');
  await store.createPromotion(first);
  await store.casPromotionStatus(
    'shop',
    first.metadata.name,
    'dev',
    0,
    {
      ...first.status,
      phase: 'Succeeded',
      message: 'promoted',
      startedAt: '2026-01-01T00:01:00Z',
      finishedAt: '2026-01-01T00:01:03Z',
      stepExecutionMetadata: [
        {
          alias: 'update-image',
          uses: 'kustomize-set-image',
          status: 'Succeeded',
          startedAt: '2026-01-01T00:01:00Z',
          finishedAt: '2026-01-01T00:01:03Z',
        },
      ],
    },
    { freight: F1, promotion: first.metadata.name, promotedAt: '2026-01-01T00:01:03Z' },
  );
  await store.markFreightVerified('shop', F1, 'dev', '2026-01-01T00:02:00Z', first.metadata.name);

  await mkdir(SCREENSHOTS, { recursive: true });
  browser = await launchChromium();
  page = await browser.context.newPage();
  page.setDefaultTimeout(5000);
  // Without a token the UI shows the login screen; a wrong token is refused with the api's message.
  await page.goto(`${address}/ui`);
  await page.locator('[data-login] input').fill('ferry_wrong');
  await page.locator('[data-login] button').click();
  assert.equal(
    await page.locator('[data-login] .error').textContent(),
    'send Authorization: Bearer <token>; get one with ferry login',
  );
  await page.locator('[data-login] input').fill(TOKEN);
  await page.locator('[data-login] button').click();
  await page.locator('header .logout').waitFor();
});

after(async () => {
  await browser?.close();
  await app?.close();
  await bus?.close();
  await store?.redis.flushdb();
  await store?.close();
  await nats?.close();
});

const stageCard = (name: string) => page.locator(`[data-stage="${name}"]`);
const chip = (alias: string) => page.locator(`[data-freight="${alias}"]`);
const chipMarks = async (alias: string) =>
  chip(alias)
    .locator('[data-in]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-in')));

test('the project page shows the pipeline and the Freight timeline', async () => {
  await page.goto(`${address}/ui/projects/shop`);
  await page.locator('[data-stage]').nth(2).waitFor();
  await chip('brave-lynx').waitFor();
  assert.deepEqual(
    await page.locator('[data-stage]').evaluateAll((els) => els.map((e) => e.getAttribute('data-stage'))),
    ['dev', 'uat', 'prod'],
  );
  assert.equal(await page.locator('[data-warehouse]').count(), 1);
  assert.equal(await page.locator('svg.edges > path').count(), 3, 'app→dev, dev→uat, uat→prod');
  assert.deepEqual(
    await page.locator('[data-freight]').evaluateAll((els) => els.map((e) => e.getAttribute('data-freight'))),
    ['calm-otter', 'brave-lynx'],
    'newest first',
  );
  assert.equal(await stageCard('dev').locator('[data-current]').textContent(), 'brave-lynx 1.0.0');
  assert.equal(await stageCard('dev').locator('[data-phase]').textContent(), 'Succeeded');
  assert.equal(await stageCard('uat').locator('[data-current]').textContent(), 'no Freight yet');
  assert.deepEqual(await chipMarks('brave-lynx'), ['dev']);
  await page.screenshot({ path: join(SCREENSHOTS, 'project.png'), fullPage: true });
});

test('promoting Freight to dev posts the Promotion and the page follows it live', async () => {
  // A mark on the window: if the page reloaded, it is gone.
  await page.evaluate(() => {
    (globalThis as unknown as { ferryMark: number }).ferryMark = 42;
  });
  const sub = bus.nc.subscribe('ferry.v1.cmd.promoter.create.shop', { max: 1, timeout: 10_000 });
  await chip('calm-otter').click();
  await page.locator('.banner.hint', { hasText: 'Freight calm-otter selected' }).waitFor();
  await stageCard('dev').locator('button.promote').click();

  let command: { project: string; stage: string; freight: string; promotion: string } | undefined;
  for await (const m of sub) command = m.json();
  assert.ok(command, 'a CreatePromotion command');
  assert.deepEqual([command.project, command.stage, command.freight], ['shop', 'dev', F2]);
  await page
    .locator('.banner.ok', { hasText: `Promoting calm-otter to dev (${command.promotion})` })
    .waitFor({ timeout: 5000 });

  // The promoter's part, by hand: create the Promotion, run it, finish it.
  const now = new Date().toISOString();
  const p = promotion(command.promotion, 'dev', F2, now);
  await store.createPromotion(p);
  await bus.publish(
    'PromotionCreated',
    { project: 'shop', promotion: p.metadata.name, stage: 'dev', freight: F2 },
    `ui-created-${p.metadata.name}`,
  );
  const running: PromotionStatus = {
    ...p.status,
    phase: 'Running',
    message: 'waiting for Argo CD application "shop-dev" to be healthy',
    startedAt: now,
    stepExecutionMetadata: [
      { alias: 'update-image', uses: 'kustomize-set-image', status: 'Running', startedAt: now },
    ],
  };
  assert.ok(await store.casPromotionStatus('shop', p.metadata.name, 'dev', 0, running));
  await bus.publish(
    'PromotionChanged',
    { project: 'shop', promotion: p.metadata.name, stage: 'dev', phase: 'Running', step: 0, revision: 1 },
    `ui-changed-${p.metadata.name}-1`,
  );
  await stageCard('dev').locator('[data-phase="Running"]').waitFor({ timeout: 5000 });
  assert.equal(await stageCard('dev').locator('[data-phase]').textContent(), 'Running → calm-otter');
  await page.screenshot({ path: join(SCREENSHOTS, 'promotion-running.png'), fullPage: true });

  const done = new Date().toISOString();
  assert.ok(
    await store.casPromotionStatus(
      'shop',
      p.metadata.name,
      'dev',
      1,
      {
        ...running,
        phase: 'Succeeded',
        message: 'promoted',
        finishedAt: done,
        stepExecutionMetadata: [
          { ...running.stepExecutionMetadata[0]!, status: 'Succeeded', finishedAt: done },
        ],
      },
      { freight: F2, promotion: p.metadata.name, promotedAt: done },
    ),
  );
  await bus.publish(
    'PromotionChanged',
    { project: 'shop', promotion: p.metadata.name, stage: 'dev', phase: 'Succeeded', step: 1, revision: 2 },
    `ui-changed-${p.metadata.name}-2`,
  );
  await stageCard('dev').locator('[data-phase="Succeeded"]').waitFor({ timeout: 5000 });
  await stageCard('dev').locator('[data-current]', { hasText: 'calm-otter' }).waitFor();
  assert.equal(await stageCard('dev').locator('[data-current]').textContent(), 'calm-otter 1.1.0');
  assert.deepEqual(await chipMarks('calm-otter'), ['dev']);
  assert.deepEqual(await chipMarks('brave-lynx'), []);
  assert.equal(
    await page.evaluate(() => (globalThis as unknown as { ferryMark?: number }).ferryMark),
    42,
    'no reload',
  );
});

test('the Stage drawer lists its Promotions with steps and messages', async () => {
  await stageCard('dev').locator('.card-head .name').click();
  const drawer = page.locator('aside.drawer');
  await drawer.locator('[data-promotion]').nth(1).waitFor();
  assert.deepEqual(
    await drawer
      .locator('[data-promotion]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-promotion'))),
    [(await drawer.locator('[data-promotion]').first().getAttribute('data-promotion'))!, 'dev.01.ccccccc'],
  );
  const oldest = drawer.locator('[data-promotion="dev.01.ccccccc"]');
  assert.equal(await oldest.locator('.row .badge').textContent(), 'Succeeded');
  assert.equal(await oldest.locator('.steps td.mono').textContent(), 'update-image');
  assert.equal(await oldest.locator('.steps td.muted').textContent(), '3.0s');
  assert.equal(await oldest.locator('p.message').textContent(), 'promoted');
  await page.screenshot({ path: join(SCREENSHOTS, 'stage-drawer.png') });
  await drawer.locator('button[aria-label="close"]').click();
  await drawer.waitFor({ state: 'detached' });
});

test('the Warehouse drawer asks for a refresh', async () => {
  const sub = bus.nc.subscribe('ferry.v1.cmd.>', { timeout: 10_000 });
  await page.locator('[data-warehouse="app"]').click();
  await page.locator('aside.drawer', { hasText: 'Nothing discovered yet.' }).waitFor();
  await page.locator('aside.drawer button.primary').click();
  await page
    .locator('.banner.ok', { hasText: 'Refresh of Warehouse app requested' })
    .waitFor({ timeout: 5000 });
  let refresh: { project: string; warehouse: string } | undefined;
  for await (const m of sub) {
    const body = m.json<{ project: string; warehouse?: string }>();
    if (body.warehouse) {
      refresh = { project: body.project, warehouse: body.warehouse };
      break;
    }
  }
  sub.unsubscribe();
  assert.deepEqual(refresh, { project: 'shop', warehouse: 'app' });
});
