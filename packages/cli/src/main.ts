#!/usr/bin/env node
/** The `ferry` executable: runs the CLI against the real process and exits with its code. */
import { run } from './index.ts';

// `ferry get ... | head` closes the pipe early; that is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

process.exitCode = await run(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
  // `pnpm ferry` runs from the repository root; files are named relative to where the user was.
  cwd: process.env.INIT_CWD ?? process.cwd(),
});
