// What a cluster's TLS is checked against: its pinned fingerprint, or the CA file it names. One
// function for every connection (the tree, the probes of add/edit) so a CA-file cluster is never
// checked against the system CAs by a code path that forgot the file.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';

export class CaFileError extends Error {
  override name = 'CaFileError';
  constructor(readonly file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;

/**
 * The PEM certificates in `bytes`, or a CaFileError that says what is wrong with the file
 * (binary DER, a private key, a certificate request, no certificate, a damaged block).
 */
export function parseCaPem(bytes: Uint8Array, file: string): string {
  const buf = Buffer.from(bytes);
  const text = buf.toString('utf8');
  if (buf.length === 0 || text.trim() === '') throw new CaFileError(file, `The CA file ${file} is empty.`);
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length === 0) {
    if (buf[0] === 0x30 && isDerCertificate(buf)) {
      throw new CaFileError(file, `The CA file ${file} is a binary (DER) certificate; Homelab needs PEM text. Convert it: openssl x509 -inform der -in ${file} -out ca.pem`);
    }
    throw new CaFileError(file, `The CA file ${file} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line). Use the cluster's /etc/pve/pve-root-ca.pem.`);
  }
  const certs: string[] = [];
  for (const [whole, label] of blocks) {
    if (/PRIVATE KEY/.test(label)) throw new CaFileError(file, `The CA file ${file} contains a private key (${label}). Use the CA certificate (/etc/pve/pve-root-ca.pem), and keep the key private.`);
    if (label !== 'CERTIFICATE' && label !== 'TRUSTED CERTIFICATE') continue;
    try {
      new X509Certificate(whole);
    } catch (e) {
      throw new CaFileError(file, `The CA file ${file} has a damaged certificate block (certificate ${certs.length + 1}): ${(e as Error).message}.`, { cause: e });
    }
    certs.push(whole.replace(/\r\n/g, '\n'));
  }
  if (!certs.length) {
    throw new CaFileError(file, `The CA file ${file} holds ${blocks.map((b) => b[1]).join(', ')} but no CERTIFICATE. Use the cluster's /etc/pve/pve-root-ca.pem.`);
  }
  return certs.join('\n') + '\n';
}

function isDerCertificate(buf: Buffer): boolean {
  try {
    new X509Certificate(buf);
    return true;
  } catch {
    return false;
  }
}

/** Reads and checks a CA file. */
export async function readCaFile(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CaFileError(file, code === 'ENOENT' ? `The CA file ${file} does not exist.` : `Cannot read the CA file ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseCaPem(bytes, file);
}

export interface ClusterTrust {
  fingerprint?: string;
  caPem?: string;
}

/** The trust settings of a cluster as ProxmoxClient takes them: the pin wins, else the CA file. */
export async function clusterTrust(c: { fingerprint?: string; caFile?: string }): Promise<ClusterTrust> {
  if (c.fingerprint) return { fingerprint: c.fingerprint };
  if (c.caFile) return { caPem: await readCaFile(c.caFile) };
  return {};
}
