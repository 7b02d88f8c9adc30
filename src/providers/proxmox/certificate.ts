// Trust on first use: read the certificate a server presents so the user can compare and pin
// its fingerprint. Only the TLS handshake happens: no HTTP byte is sent, so no credential can
// leak to a server not yet trusted (that is why verification may be off here and only here).

import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { ProxmoxError } from './errors';
import { parseClusterUrl } from './validate';

export interface ServerCertificate {
  /** Uppercase colon-separated SHA-256, the notation Proxmox shows. */
  fingerprint256: string;
  subject: string; // "CN=pve1.lan, O=PVE Cluster Node, ..."
  issuer: string;
  subjectAltName?: string;
  /** ISO 8601. */
  validFrom: string;
  validTo: string;
  pem: string;
}

function dn(o: unknown): string {
  if (!o || typeof o !== 'object') return '';
  return Object.entries(o as Record<string, string | string[]>)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
    .join(', ');
}

function toPem(raw: Buffer): string {
  const b64 = raw.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

export function fetchServerCertificate(url: string, timeoutMs = 10000): Promise<ServerCertificate> {
  const u = parseClusterUrl(url);
  const where = `${u.hostname}:${u.port}`;
  const fail = (kind: 'network' | 'timeout' | 'not-proxmox', message: string, cause?: unknown) =>
    new ProxmoxError({ kind, message, method: 'TLS', path: '', cause });
  return new Promise((resolve, reject) => {
    // SNI must be a name, never an IP address.
    const servername = isIP(u.hostname) ? undefined : u.hostname;
    const socket = tls.connect({ host: u.hostname, port: u.port, servername, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(fail('timeout', `No TLS handshake with ${where} within ${Math.round(timeoutMs / 1000)} s: is the host up and port ${u.port} reachable?`));
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const c = socket.getPeerCertificate();
      socket.destroy();
      if (!c || !c.raw) return reject(fail('not-proxmox', `${where} presented no certificate`));
      resolve({
        fingerprint256: c.fingerprint256.toUpperCase(),
        subject: dn(c.subject),
        issuer: dn(c.issuer),
        subjectAltName: c.subjectaltname,
        validFrom: new Date(c.valid_from).toISOString(),
        validTo: new Date(c.valid_to).toISOString(),
        pem: toPem(c.raw),
      });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      socket.destroy();
      const code = e.code ?? '';
      if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') reject(fail('network', `Host "${u.hostname}" not found (DNS lookup failed): check the name or use the node's IP address.`, e));
      else if (code === 'ECONNREFUSED') reject(fail('network', `${where} refused the connection: is this the Proxmox API port (8006) and is pveproxy running?`, e));
      else if (code === 'EPROTO' || /wrong version number|packet length/i.test(e.message)) reject(fail('not-proxmox', `${where} does not speak HTTPS: is this the Proxmox API port (8006)?`, e));
      else reject(fail('network', `Could not read the certificate of ${where}: ${e.message}`, e));
    });
  });
}
