/**
 * The api's side of warehouse-poller's request/reply subjects: sends a request, validates the reply
 * and turns "nobody answers" into a clear 503.
 */
import type { Bus } from '@ferry/bus';
import {
  FerryError,
  type RequestType,
  type ResolveImagesReply,
  ResolveImagesReplySchema,
  type ResolveImagesRequest,
  requestSubjectFor,
  type TestSubscriptionsReply,
  TestSubscriptionsReplySchema,
  type TestSubscriptionsRequest,
  validate,
} from '@ferry/contracts';

/** How long the api waits for warehouse-poller's answer by default. */
export const POLLER_REQUEST_TIMEOUT_MS = 20_000;

interface Exchange {
  ResolveImages: [ResolveImagesRequest, ResolveImagesReply];
  TestSubscriptions: [TestSubscriptionsRequest, TestSubscriptionsReply];
}

const REPLY_SCHEMAS = {
  ResolveImages: ResolveImagesReplySchema,
  TestSubscriptions: TestSubscriptionsReplySchema,
} as const;

/**
 * Asks warehouse-poller and returns its validated reply. Throws `FERRY_ERR_UNAVAILABLE` (503) when no
 * poller subscribes or none answers within `timeoutMs`, and `FERRY_ERR_VALIDATION` (400) when the
 * poller refused the request itself.
 */
export async function askPoller<T extends RequestType>(
  bus: Pick<Bus, 'nc'>,
  type: T,
  payload: Exchange[T][0],
  timeoutMs = POLLER_REQUEST_TIMEOUT_MS,
): Promise<Exclude<Exchange[T][1], { error: string }>> {
  let raw: unknown;
  try {
    const msg = await bus.nc.request(requestSubjectFor(type, payload.project), JSON.stringify(payload), {
      timeout: timeoutMs,
    });
    raw = msg.json();
  } catch (err) {
    const e = err as Error & { isNoResponders?: () => boolean };
    const why =
      e.isNoResponders?.() === true
        ? 'no warehouse-poller is running'
        : e.name === 'TimeoutError' || (e.cause as Error | undefined)?.name === 'TimeoutError'
          ? `warehouse-poller did not answer within ${timeoutMs / 1000}s`
          : `asking warehouse-poller failed (${e.message})`;
    throw new FerryError('FERRY_ERR_UNAVAILABLE', `${why}; start it (or check its logs) and try again`, {
      cause: err,
    });
  }
  const reply = validate(REPLY_SCHEMAS[type], raw, `warehouse-poller's ${type} reply`) as Exchange[T][1];
  if ('error' in reply) throw new FerryError('FERRY_ERR_VALIDATION', reply.error);
  return reply as Exclude<Exchange[T][1], { error: string }>;
}
