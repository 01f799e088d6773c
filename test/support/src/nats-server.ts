import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { freePort, tempDir } from './util.ts';

/** A nats-server with JetStream of a test's own: its streams are never shared with a running Ferry. */
export interface TestNatsServer {
  url: string;
  close(): Promise<void>;
}

const open = (port: number) =>
  new Promise<boolean>((done) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.end();
      done(true);
    });
    s.once('error', () => done(false));
  });

/** Starts `nats-server -js` on a free loopback port with its store in a temp dir. */
export async function startNatsServer(): Promise<TestNatsServer> {
  const port = await freePort();
  const dir = await tempDir('nats');
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], {
    stdio: 'ignore',
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (let i = 0; !(await open(port)); i++) {
    if (exited || i > 200)
      throw new Error(`nats-server did not start on 127.0.0.1:${port}; is nats-server installed?`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    close: async () => {
      if (!exited) {
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
