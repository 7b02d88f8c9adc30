// Self-signed certificate made at start with the openssl CLI: no key material is committed and
// each run has its own fingerprint, as each real cluster does.
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SimCert {
  keyPem: string;
  certPem: string;
  /** Uppercase colon-separated SHA-256, the format of `ssl_fingerprint` in GET /nodes. */
  fingerprint: string;
}

export async function makeCert(): Promise<SimCert> {
  const dir = await mkdtemp(join(tmpdir(), 'pve-sim-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const crt = join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=pve-sim', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout', key, '-out', crt,
    ]);
    const [keyPem, certPem] = await Promise.all([readFile(key, 'utf8'), readFile(crt, 'utf8')]);
    return { keyPem, certPem, fingerprint: new X509Certificate(certPem).fingerprint256.toUpperCase() };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
