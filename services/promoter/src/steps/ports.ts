import { createForge } from '@ferry/forge';
import { nodeHttp } from './http.ts';
import type { StepPorts } from './types.ts';

/** The real step ports, made from the service config (cheap: no connection is opened). */
export function stepPorts(config: {
  forgeTokens: Readonly<Record<string, string>>;
  forgeApiUrls: Readonly<Record<string, string>>;
}): StepPorts {
  return { forge: createForge({ tokens: config.forgeTokens, apiUrls: config.forgeApiUrls }), http: nodeHttp };
}
