import { runService } from '@ferry/runtime';
import { startWarehousePoller } from './service.ts';

await runService('warehouse-poller', (deps) => startWarehousePoller(deps));
