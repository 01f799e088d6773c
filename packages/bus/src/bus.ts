import {
  COMMAND_SUBJECT_FILTER,
  COMMANDS_STREAM,
  DEAD_LETTER_STREAM,
  DEAD_LETTER_SUBJECT_FILTER,
  deadLetterSubject,
  EVENT_SUBJECT_FILTERS,
  EVENTS_STREAM,
  MessageSchemas,
  type MessageType,
  type Payload,
  Subjects,
  subjectFor,
  validate,
} from '@ferry/contracts';
import {
  deadLetters,
  HandleOutcomes,
  messageHandleSeconds,
  messagesHandled,
  messagesPublished,
  recordConsumerLag,
} from '@ferry/metrics';
import { extractTraceContext, injectTraceContext, Kinds, type Logger, withSpan } from '@ferry/observability';
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, headers as natsHeaders } from '@nats-io/transport-node';
import { PermanentError, RetryLater } from './errors.ts';

const NS_PER_MS = 1_000_000;
const nanos = (ms: number) => ms * NS_PER_MS;

/** Context handed to a message handler. */
export interface HandlerContext {
  /** The full subject the message arrived on. */
  subject: string;
  /** 1 on first delivery; more on redelivery. */
  deliveryCount: number;
  /** The message id it was published with. */
  msgId: string | undefined;
  /** A logger bound to the message's type, project and trace id. */
  log: Logger;
  /** Tells JetStream the handler is still busy (resets the ack timer). */
  working(): void;
}

/** How a service consumes one message type. */
export interface ConsumeSpec<T extends MessageType> {
  /** The message type; its subject prefix (all Projects) is the consumer's filter. */
  type: T;
  /** Durable consumer name, shared by every replica of the service (a queue group). */
  durable: string;
  /** Handles one message; throwing means "retry later" unless it is a PermanentError. */
  handler: (payload: Payload<T>, ctx: HandlerContext) => Promise<void>;
  /** Messages handled at once by this process (default 8). */
  concurrency?: number;
  /** Ack deadline; long handlers call `working()` (default 30 s). */
  ackWaitMs?: number;
}

/** Options for {@link Bus.connect}. */
export interface BusOptions {
  servers: string;
  /** Connection name shown by the NATS server (`ferry-<service>`). */
  name: string;
  log: Logger;
  /** Deliveries before a failing message moves to the dead-letter stream. */
  maxDeliver: number;
  /** How often each consumer's lag gauges (`ferry_consumer_*pending`) are refreshed from consumer info (default 15 s). */
  pendingIntervalMs?: number;
}

/** A running consumer; `stop()` stops taking messages and waits for those in hand. */
export interface RunningConsumer {
  stop(): Promise<void>;
}

const isCommand = (type: MessageType) => Subjects[type].startsWith('ferry.v1.cmd.');

/**
 * Ferry's JetStream layer: typed publish with deterministic message ids and trace context
 * in headers, and durable pull consumers with bounded redelivery into a dead-letter stream.
 */
export class Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  private readonly log: Logger;
  private readonly maxDeliver: number;
  private readonly pendingIntervalMs: number;
  private readonly consumers: RunningConsumer[] = [];

  private constructor(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, opts: BusOptions) {
    this.nc = nc;
    this.js = js;
    this.jsm = jsm;
    this.log = opts.log;
    this.maxDeliver = opts.maxDeliver;
    this.pendingIntervalMs = opts.pendingIntervalMs ?? 15_000;
  }

  /** Connects and makes sure the streams exist with the expected settings. */
  static async connect(opts: BusOptions): Promise<Bus> {
    const nc = await connect({
      servers: opts.servers.split(',').map((s) => s.trim()),
      name: opts.name,
      maxReconnectAttempts: -1,
    });
    const jsm = await jetstreamManager(nc);
    const bus = new Bus(nc, jetstream(nc), jsm, opts);
    await bus.ensureStreams();
    return bus;
  }

  /** Creates or updates the three streams. Safe to call from every replica. */
  async ensureStreams(): Promise<void> {
    const streams = [
      {
        name: EVENTS_STREAM,
        subjects: [...EVENT_SUBJECT_FILTERS],
        retention: RetentionPolicy.Limits,
        max_age: nanos(7 * 24 * 3600_000),
      },
      {
        name: COMMANDS_STREAM,
        subjects: [COMMAND_SUBJECT_FILTER],
        retention: RetentionPolicy.Workqueue,
        max_age: 0,
      },
      {
        name: DEAD_LETTER_STREAM,
        subjects: [DEAD_LETTER_SUBJECT_FILTER],
        retention: RetentionPolicy.Limits,
        max_age: nanos(30 * 24 * 3600_000),
      },
    ];
    for (const s of streams) {
      const config = { ...s, storage: StorageType.File, duplicate_window: nanos(120_000) };
      try {
        await this.jsm.streams.info(s.name);
        await this.jsm.streams.update(s.name, config);
      } catch (err) {
        if ((err as Error).message.includes('not found')) await this.jsm.streams.add(config);
        else throw err;
      }
    }
  }

  /**
   * Publishes a fact or command. `msgId` must be deterministic for the logical message so that
   * JetStream drops a duplicate published within the window (a retried handler, two replicas).
   */
  async publish<T extends MessageType>(type: T, payload: Payload<T>, msgId: string): Promise<void> {
    const h = natsHeaders();
    h.set('Ferry-Type', type);
    const project = (payload as { project: string }).project;
    const subject = subjectFor(type, project);
    await withSpan(
      `publish ${type}`,
      { kind: Kinds.producer, attributes: { 'messaging.destination.name': subject } },
      async () => {
        injectTraceContext({ get: (k) => h.get(k) || undefined, set: (k, v) => h.set(k, v) });
        await this.js.publish(subject, JSON.stringify(payload), { msgID: msgId, headers: h });
      },
    );
    messagesPublished.inc({ type });
  }

  /** Starts a durable pull consumer for one message type. */
  async consume<T extends MessageType>(spec: ConsumeSpec<T>): Promise<RunningConsumer> {
    const stream = isCommand(spec.type) ? COMMANDS_STREAM : EVENTS_STREAM;
    const filter = `${Subjects[spec.type]}.>`;
    const ackWait = spec.ackWaitMs ?? 30_000;
    const config = {
      durable_name: spec.durable,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(ackWait),
      max_ack_pending: 1000,
      deliver_policy: stream === COMMANDS_STREAM ? DeliverPolicy.All : DeliverPolicy.New,
    };
    try {
      await this.jsm.consumers.info(stream, spec.durable);
      const { durable_name: _d, deliver_policy: _p, ...updatable } = config;
      await this.jsm.consumers.update(stream, spec.durable, updatable);
    } catch (err) {
      if ((err as Error).message.includes('not found')) await this.jsm.consumers.add(stream, config);
      else throw err;
    }
    const consumer = await this.js.consumers.get(stream, spec.durable);
    const concurrency = spec.concurrency ?? 8;
    const messages = await consumer.consume({ max_messages: concurrency * 2 });
    const inFlight = new Set<Promise<void>>();
    // Backlog is what an operator scales on; consumer info is one request, so poll it slowly.
    const refreshPending = async () => {
      try {
        const info = await this.jsm.consumers.info(stream, spec.durable);
        recordConsumerLag(spec.durable, info);
      } catch (err) {
        this.log.debug({ err, durable: spec.durable }, 'cannot read consumer info for the pending gauge');
      }
    };
    void refreshPending();
    const pendingTimer = setInterval(() => void refreshPending(), this.pendingIntervalMs);
    pendingTimer.unref();
    const loop = (async () => {
      for await (const m of messages) {
        const p = this.handle(spec, m).finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= concurrency) await Promise.race(inFlight);
      }
    })();
    const running: RunningConsumer = {
      stop: async () => {
        clearInterval(pendingTimer);
        await messages.close();
        await loop.catch(() => {});
        await Promise.allSettled([...inFlight]);
      },
    };
    this.consumers.push(running);
    return running;
  }

  private async handle<T extends MessageType>(spec: ConsumeSpec<T>, m: JsMsg): Promise<void> {
    const carrier = { get: (k: string) => m.headers?.get(k) || undefined, set: () => {} };
    const parent = extractTraceContext(carrier);
    const msgId = m.headers?.get('Nats-Msg-Id') || undefined;
    await withSpan(
      `process ${spec.type}`,
      { kind: Kinds.consumer, parent, attributes: { 'messaging.destination.name': m.subject } },
      async () => {
        const log = this.log.child({ message_type: spec.type, subject: m.subject, msg_id: msgId });
        const deliveryCount = m.info.deliveryCount;
        if (deliveryCount > this.maxDeliver) {
          await this.deadLetter(spec.type, m, `gave up after ${this.maxDeliver} deliveries`, log);
          return;
        }
        let payload: Payload<T>;
        try {
          payload = validate(MessageSchemas[spec.type], m.json(), `${spec.type} message`) as Payload<T>;
        } catch (err) {
          await this.deadLetter(spec.type, m, (err as Error).message, log);
          return;
        }
        const ctx: HandlerContext = {
          subject: m.subject,
          deliveryCount,
          msgId,
          log: log.child({ project: (payload as { project: string }).project }),
          working: () => m.working(),
        };
        const endTimer = messageHandleSeconds.startTimer({ type: spec.type });
        try {
          await spec.handler(payload, ctx);
          endTimer();
          m.ack();
          messagesHandled.inc({ type: spec.type, outcome: HandleOutcomes.ok });
        } catch (err) {
          endTimer();
          if (err instanceof RetryLater) {
            if (deliveryCount >= this.maxDeliver) {
              ctx.log.info(
                { reason: err.message, deliveryCount },
                'no more deliveries left to look again; done',
              );
              m.ack();
              messagesHandled.inc({ type: spec.type, outcome: HandleOutcomes.ok });
            } else {
              ctx.log.info({ reason: err.message, deliveryCount, retryInMs: err.delayMs }, 'will look again');
              m.nak(err.delayMs);
              messagesHandled.inc({ type: spec.type, outcome: HandleOutcomes.retry });
            }
            return;
          }
          if (err instanceof PermanentError || deliveryCount >= this.maxDeliver) {
            ctx.log.error({ err, deliveryCount }, 'handler failed for good; moving message to dead letters');
            await this.deadLetter(spec.type, m, (err as Error).message, log);
          } else {
            const delay = Math.min(30_000, 250 * 2 ** (deliveryCount - 1));
            ctx.log.warn({ err, deliveryCount, retryInMs: delay }, 'handler failed; will retry');
            m.nak(delay);
            messagesHandled.inc({ type: spec.type, outcome: HandleOutcomes.retry });
          }
        }
      },
    );
  }

  private async deadLetter(type: MessageType, m: JsMsg, reason: string, log: Logger): Promise<void> {
    const h = natsHeaders();
    for (const [k, v] of m.headers ?? []) if (k !== 'Nats-Msg-Id') for (const x of v) h.append(k, x);
    h.set('Ferry-Dead-Reason', reason.slice(0, 1000));
    h.set('Ferry-Original-Subject', m.subject);
    h.set('Ferry-Deliveries', String(m.info.deliveryCount));
    await this.js.publish(deadLetterSubject(m.subject), m.data, {
      headers: h,
      msgID: `dead:${m.info.stream}:${m.seq}`,
    });
    log.error({ reason, subject: m.subject }, 'message moved to dead letters');
    // Acknowledged rather than terminated: the copy in dead letters is the record, and a work-queue
    // stream removes a message on ack (nats-server 2.9 keeps a terminated one in the stream).
    m.ack();
    messagesHandled.inc({ type, outcome: HandleOutcomes.deadLetter });
    deadLetters.inc({ type });
  }

  /** Stops every consumer (finishing messages in hand), then drains the connection. */
  async close(): Promise<void> {
    await Promise.allSettled(this.consumers.map((c) => c.stop()));
    await this.nc.drain().catch(() => {});
  }
}
