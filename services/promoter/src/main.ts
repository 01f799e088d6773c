import { runService } from '@ferry/runtime';
import { startPromoter } from './service.ts';

await runService('promoter', (deps) => startPromoter(deps));
