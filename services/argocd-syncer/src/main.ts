import { runService } from '@ferry/runtime';
import { startArgoCDSyncer } from './service.ts';

await runService('argocd-syncer', (deps) => startArgoCDSyncer(deps));
