import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { run } from './util.ts';

/** A self-signed certificate and its key, as PEM text and as files. */
export interface SelfSignedCertificate {
  /** The certificate (PEM); it is its own CA. */
  cert: string;
  /** The unencrypted RSA private key (PEM). */
  key: string;
  /** Path of the certificate file, e.g. for `NODE_EXTRA_CA_CERTS` or a server's config. */
  certPath: string;
  /** Path of the key file. */
  keyPath: string;
}

/**
 * Generates a self-signed certificate with `openssl req -x509` into `dir` (`cert.pem`, `key.pem`):
 * CN 127.0.0.1, valid for 127.0.0.1 and the extra IP addresses given (subjectAltName), for one day.
 */
export async function selfSignedCertificate(
  dir: string,
  extraIPs: readonly string[] = [],
): Promise<SelfSignedCertificate> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const san = ['127.0.0.1', ...extraIPs].map((ip) => `IP:${ip}`).join(',');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    `subjectAltName=${san}`,
    '-keyout',
    keyPath,
    '-out',
    certPath,
  ]);
  return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8'), certPath, keyPath };
}

/**
 * The first IPv4 address of this machine that is not loopback. A TLS test server listens there because
 * clients speak plain HTTP to loopback registries (as Docker does); throws when the machine has none.
 */
export function nonLoopbackIPv4(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  throw new Error(
    'no non-loopback IPv4 address on this machine: a TLS test registry cannot be served, because ' +
      'registry clients speak plain HTTP to loopback hosts; run the test on a host with a network interface',
  );
}
