/**
 * Runs git-writer as its own process: `node services/git-writer/src/main.ts`. The shared
 * runtime reads the config, sets up logs and traces, connects Redis and NATS, and drains on
 * SIGTERM/SIGINT (stop consuming, finish the writes in hand, close).
 */
import { runService } from '@ferry/runtime';
import { startGitWriter } from './service.ts';

await runService('git-writer', (deps) => startGitWriter(deps));
