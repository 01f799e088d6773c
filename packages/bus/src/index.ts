export type { BusOptions, ConsumeSpec, HandlerContext, RunningConsumer } from './bus.ts';
export { Bus } from './bus.ts';
export { PermanentError, RetryLater } from './errors.ts';
