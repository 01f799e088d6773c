// Helpers for the integration tests: they talk to kube-sim only through @kubernetes/client-node.
import assert from 'node:assert/strict';
import { ApiException, type KubeConfig, Watch } from '@kubernetes/client-node';
import type { Status } from './errors.ts';

/** A custom object as client-node returns it (typed `any` by the generated client). */
// biome-ignore lint/suspicious/noExplicitAny: client-node types custom objects as any.
export type Obj = any;

/** One event a client-node Watch delivered. */
export interface SeenEvent {
  type: string;
  object: Obj;
}

/** The HTTP code and decoded Status body of a client call that must fail. */
export async function failure(call: Promise<unknown>): Promise<{ code: number; body: Status }> {
  try {
    await call;
  } catch (err) {
    assert.ok(err instanceof ApiException, `expected an ApiException, got ${String(err)}`);
    const body = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    return { code: err.code, body };
  }
  return assert.fail('the call succeeded');
}

/**
 * Opens a client-node Watch on `path`, runs `trigger`, and resolves with every event seen once
 * `done(events)` holds; rejects after `timeoutMs` listing the event types seen, so a hang says why.
 */
export async function watchUntil(
  kc: KubeConfig,
  path: string,
  query: Record<string, string | number | boolean>,
  done: (events: SeenEvent[]) => boolean,
  trigger: () => Promise<unknown> = async () => undefined,
  timeoutMs = 10_000,
): Promise<SeenEvent[]> {
  const events: SeenEvent[] = [];
  let timer: NodeJS.Timeout | undefined;
  let settle: { resolve: () => void; reject: (err: unknown) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const seen = () => JSON.stringify(events.map((e) => [e.type, e.object?.status?.operationState?.phase]));
  timer = setTimeout(() => settle?.reject(new Error(`watch timed out; saw ${seen()}`)), timeoutMs);
  // watch() resolves once the response headers arrived, i.e. once the server subscribed: only then
  // may the trigger write, or its events could land before the watch exists.
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, object) => {
      events.push({ type, object });
      if (done(events)) settle?.resolve();
    },
    (err) => {
      if (done(events)) settle?.resolve();
      else settle?.reject(err ?? new Error(`watch ended early; saw ${seen()}`));
    },
  );
  try {
    await trigger();
    await finished;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}
