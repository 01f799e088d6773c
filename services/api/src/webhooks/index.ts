export type { BucketOptions } from './rate-limit.ts';
export { DEFAULT_BUCKET, TokenBuckets } from './rate-limit.ts';
export type { ResolvedReceiver, SecretLookup } from './receivers.ts';
export { receiverPath, secretLookup, secretVariable } from './receivers.ts';
export type { WebhookAnswer, WebhookRoutesOptions } from './routes.ts';
export { WEBHOOK_BODY_LIMIT, webhookRoutes } from './routes.ts';
export type { PreparedSecrets, SecretAction } from './secrets.ts';
export { prepareSecrets, SecretStore, secretKey } from './secrets.ts';
