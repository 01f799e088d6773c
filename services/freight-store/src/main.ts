import { runService } from '@ferry/runtime';
import { startFreightStore } from './service.ts';

await runService('freight-store', (deps) => startFreightStore(deps));
