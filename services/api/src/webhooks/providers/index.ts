import type { WebhookProvider } from '@ferry/contracts';
import { artifactory } from './artifactory.ts';
import { azure } from './azure.ts';
import { bitbucket } from './bitbucket.ts';
import { distribution } from './distribution.ts';
import { dockerhub } from './dockerhub.ts';
import { generic } from './generic.ts';
import { gitea } from './gitea.ts';
import { github } from './github.ts';
import { gitlab } from './gitlab.ts';
import { harbor } from './harbor.ts';
import { quay } from './quay.ts';
import type { Provider } from './types.ts';

/** Every provider Ferry receives from, by the name of its block in a receiver. */
export const PROVIDERS: Readonly<Record<WebhookProvider, Provider>> = {
  github,
  gitlab,
  quay,
  dockerhub,
  harbor,
  generic,
  distribution,
  gitea,
  bitbucket,
  artifactory,
  azure,
};
