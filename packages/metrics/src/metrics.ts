import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The one Prometheus registry of this process. Every Ferry metric lives here and the ops server's
 * `GET /metrics` serves it. A service adds its own metrics by passing `registers: [registry]`
 * (see docs/operations.md); a metric created on prom-client's global registry is not served.
 */
export const registry = new Registry();

/** Prefix of every metric Ferry exports, default process metrics included. */
export const METRIC_PREFIX = 'ferry_';

/** What became of a handled message (the `outcome` label of `ferry_messages_handled_total`). */
export const HandleOutcomes = {
  /** The handler finished; the message was acked. */
  ok: 'ok',
  /** The handler failed; the message was nak'ed for a later redelivery. */
  retry: 'retry',
  /** The message moved to the dead-letter stream (bad payload, permanent error, or out of deliveries). */
  deadLetter: 'dead_letter',
} as const;
/** One of {@link HandleOutcomes}. */
export type HandleOutcome = (typeof HandleOutcomes)[keyof typeof HandleOutcomes];

/** What a lease acquisition came to (the `outcome` label of `ferry_lease_acquire_total`). */
export const LeaseOutcomes = {
  /** This process took the lease. */
  acquired: 'acquired',
  /** Someone else holds it. */
  busy: 'busy',
} as const;
/** One of {@link LeaseOutcomes}. */
export type LeaseOutcome = (typeof LeaseOutcomes)[keyof typeof LeaseOutcomes];

/** Messages a consumer handled, by message type and outcome. */
export const messagesHandled = new Counter({
  name: 'ferry_messages_handled_total',
  help: 'Messages handled by JetStream consumers, by message type and outcome (ok, retry, dead_letter)',
  labelNames: ['type', 'outcome'] as const,
  registers: [registry],
});

/** Time spent in message handlers, by message type (failures included). */
export const messageHandleSeconds = new Histogram({
  name: 'ferry_message_handle_seconds',
  help: 'Time spent handling one message, by message type',
  labelNames: ['type'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  registers: [registry],
});

/** Facts and commands published, by message type. */
export const messagesPublished = new Counter({
  name: 'ferry_messages_published_total',
  help: 'Messages published to JetStream, by message type',
  labelNames: ['type'] as const,
  registers: [registry],
});

/** Messages moved to the dead-letter stream, by message type. */
export const deadLetters = new Counter({
  name: 'ferry_dead_letters_total',
  help: 'Messages moved to the dead-letter stream, by message type',
  labelNames: ['type'] as const,
  registers: [registry],
});

/** Messages waiting for or held by a durable consumer (num_pending + num_ack_pending). */
export const consumerPending = new Gauge({
  name: 'ferry_consumer_pending',
  help: 'Messages not yet delivered plus delivered but not yet acked, by durable consumer',
  labelNames: ['durable'] as const,
  registers: [registry],
});

/** Messages in the stream the durable consumer has not been given yet (JetStream `num_pending`). */
export const consumerNumPending = new Gauge({
  name: 'ferry_consumer_num_pending',
  help: 'Messages not yet delivered to the durable consumer (JetStream num_pending), by durable consumer',
  labelNames: ['durable'] as const,
  registers: [registry],
});

/** Messages delivered to the durable consumer and not acked yet (JetStream `num_ack_pending`). */
export const consumerAckPending = new Gauge({
  name: 'ferry_consumer_ack_pending',
  help: 'Messages delivered but not yet acknowledged (JetStream num_ack_pending), by durable consumer',
  labelNames: ['durable'] as const,
  registers: [registry],
});

/** The part of JetStream consumer info the lag gauges read. */
export interface ConsumerLag {
  /** Messages not yet delivered to the consumer. */
  num_pending: number;
  /** Messages delivered and not acknowledged yet. */
  num_ack_pending: number;
}

/**
 * Sets the JetStream lag gauges of one durable consumer from its consumer info:
 * `ferry_consumer_num_pending`, `ferry_consumer_ack_pending` and their sum `ferry_consumer_pending`.
 */
export function recordConsumerLag(durable: string, info: ConsumerLag): void {
  consumerNumPending.set({ durable }, info.num_pending);
  consumerAckPending.set({ durable }, info.num_ack_pending);
  consumerPending.set({ durable }, info.num_pending + info.num_ack_pending);
}

/** Lease acquisitions, by lease kind (the name's prefix before ':') and outcome. */
export const leaseAcquire = new Counter({
  name: 'ferry_lease_acquire_total',
  help: 'Lease acquisitions, by lease kind and outcome (acquired, busy)',
  labelNames: ['kind', 'outcome'] as const,
  registers: [registry],
});

/** How long a lease was held, from acquisition to release, by lease kind. */
export const leaseHoldSeconds = new Histogram({
  name: 'ferry_lease_hold_seconds',
  help: 'Time a lease was held, from acquisition to release, by lease kind',
  labelNames: ['kind'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
  registers: [registry],
});

/** The `kind` label of a lease name: its prefix before the first ':' (the whole name when none). */
export function leaseKind(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(0, i);
}

let defaultsStarted = false;

/**
 * Starts prom-client's default process metrics (CPU, memory, event loop lag, GC) on
 * {@link registry} with the `ferry_` prefix. Idempotent: a second call does nothing, because
 * registering the same metric names twice throws.
 */
export function startDefaultMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
}
