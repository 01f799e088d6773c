import { runService } from '@ferry/runtime';
import { startApi } from './service.ts';

await runService('api', (deps) => startApi(deps));
