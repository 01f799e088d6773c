/**
 * What every command gets: the API client, the output streams, the environment and the clock.
 * Tests pass fakes for all of them through `run`'s io argument.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ApiClient } from './http.ts';
import { type CliConfig, writeConfig } from './login.ts';
import { currentIdToken } from './oidc.ts';

/** Somewhere text can be written: process.stdout, or a buffer in tests. */
export interface TextSink {
  write(text: string): unknown;
}

/** The process-level things `run` uses; everything but the streams and env has a default. */
export interface CliIo {
  /** Where results go. */
  stdout: TextSink;
  /** Where errors, warnings and notices go. */
  stderr: TextSink;
  /** The environment: FERRY_SERVER, FERRY_PROJECT. */
  env: Record<string, string | undefined>;
  /** The fetch to call the API with; default global fetch. */
  fetch?: typeof fetch;
  /** What `-f -` reads; default process.stdin. */
  stdin?: AsyncIterable<string | Uint8Array>;
  /** Directory relative `-f` paths are resolved against; default process.cwd(). */
  cwd?: string;
  /** The clock, in ms since the epoch; default Date.now. Used for ages and `--wait` timeouts. */
  now?: () => number;
  /** Waits between polls; default a timer. */
  sleep?: (ms: number) => Promise<void>;
}

/** The resolved context a command runs in. */
export interface Context {
  /** The API client, bound to the chosen server. */
  client: ApiClient;
  /** The environment. */
  env: Record<string, string | undefined>;
  /** Writes to stdout. */
  out: (text: string) => void;
  /** Writes to stderr. */
  err: (text: string) => void;
  /** The clock. */
  now: () => number;
  /** Waits. */
  sleep: (ms: number) => Promise<void>;
  /** Reads a manifest file, or standard input for `-`. */
  readInput: (file: string) => Promise<string>;
}

/** Builds a Context from the io `run` was given. */
export const makeContext = (io: CliIo, client: ApiClient): Context => {
  const cwd = io.cwd ?? process.cwd();
  return {
    client,
    env: io.env,
    out: (text) => void io.stdout.write(text),
    err: (text) => void io.stderr.write(text),
    now: io.now ?? Date.now,
    sleep: io.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    readInput: async (file) => {
      if (file === '-') return readAll(io.stdin ?? process.stdin);
      try {
        return await readFile(resolve(cwd, file), 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(err);
        throw new Error(`cannot read ${file}: ${why}`, { cause: err });
      }
    },
  };
};

const readAll = async (input: AsyncIterable<string | Uint8Array>): Promise<string> => {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of input)
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
};

/**
 * The bearer token saved by `ferry login`: the OIDC login's ID token (refreshed and saved again
 * when it is about to expire), else the API token; undefined when neither is saved.
 */
export const savedBearer = async (saved: CliConfig, io: CliIo): Promise<string | undefined> => {
  if (!saved.oidc) return saved.token;
  return currentIdToken(saved.oidc, io.fetch ?? fetch, (io.now ?? Date.now)(), async (oidc) => {
    await writeConfig(io.env, { ...saved, oidc });
  });
};

/** The Project to use: `-p`, else FERRY_PROJECT; undefined when neither is set. */
export const projectFrom = (
  flag: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined => flag || env.FERRY_PROJECT || undefined;

/** A path segment, URL-encoded. */
export const seg = (s: string): string => encodeURIComponent(s);

/** The URL path of a Project's collection of `kind` (`warehouses`, `stages`, `freight`, `promotions`). */
export const projectPath = (project: string, ...rest: string[]): string =>
  ['/api/v1/projects', seg(project), ...rest.map(seg)].join('/');
