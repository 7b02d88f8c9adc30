// Tiny HTTPS servers on 127.0.0.1:0 for the client tests, with certificates made by the
// openssl CLI (so fingerprints are computed independently of Node's TLS stack).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Certs {
  caPem: string;
  /** Leaf signed by caPem, SAN IP:127.0.0.1 + DNS:localhost. */
  serverKey: string;
  serverCert: string;
  /** `openssl x509 -fingerprint -sha256` of serverCert: uppercase colon-separated. */
  serverFingerprint: string;
  /** An unrelated CA: trusting it must not trust serverCert. */
  otherCaPem: string;
  /** Self-signed leaf with its own key (a different server). */
  otherKey: string;
  otherCert: string;
  otherFingerprint: string;
}

let cached: Certs | undefined;

function openssl(dir: string, ...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function fingerprint(dir: string, file: string): string {
  const out = openssl(dir, 'x509', '-noout', '-fingerprint', '-sha256', '-in', file);
  return out.trim().split('=')[1].toUpperCase();
}

export function makeCerts(): Certs {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'pve-client-certs-'));
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(dir, 'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '3', '-subj', '/CN=Test PVE Cluster CA');
    openssl(dir, 'req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '3', '-subj', '/CN=Unrelated CA');
    openssl(dir, 'req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/O=PVE Cluster Node/CN=localhost');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', 'server.pem', '-days', '3', '-extfile', 'ext.cnf');
    openssl(dir, 'req', '-x509', ...ec, '-keyout', 'other.key', '-out', 'other.pem', '-days', '3', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1');
    const r = (f: string) => readFileSync(join(dir, f), 'utf8');
    cached = {
      caPem: r('ca.pem'), serverKey: r('server.key'), serverCert: r('server.pem'),
      serverFingerprint: fingerprint(dir, 'server.pem'), otherCaPem: r('other-ca.pem'),
      otherKey: r('other.key'), otherCert: r('other.pem'), otherFingerprint: fingerprint(dir, 'other.pem'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: Recorded, res: ServerResponse, index: number) => unknown;

export interface FixtureServer {
  url: string; // https://127.0.0.1:PORT
  port: number;
  /** Every HTTP request the server received, in order. */
  requests: Recorded[];
  /** TCP connections accepted (a refused pin may close before the server finishes its handshake). */
  connections: number;
  close(): Promise<void>;
}

export async function startHttps(handler: Handler, tlsFiles?: { key: string; cert: string }): Promise<FixtureServer> {
  const c = makeCerts();
  const requests: Recorded[] = [];
  const server = https.createServer({ key: tlsFiles?.key ?? c.serverKey, cert: tlsFiles?.cert ?? c.serverCert });
  const state = { connections: 0 };
  server.on('connection', () => state.connections++);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(rec);
      Promise.resolve(handler(rec, res, requests.length - 1)).catch((e) => {
        res.statusCode = 599;
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return state.connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers like pveproxy: JSON envelope, exact content type, message in the reason phrase. */
export function reply(res: ServerResponse, status: number, data: unknown, reason?: string, extra?: Record<string, unknown>): void {
  const body = JSON.stringify({ data, ...extra });
  res.writeHead(status, reason ?? (status === 200 ? 'OK' : 'Error'), {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** The API path of a recorded request, without /api2/json and the query. */
export function apiPath(r: Recorded): string {
  return r.url.replace(/^\/api2\/json/, '').split('?')[0];
}

export function query(r: Recorded): URLSearchParams {
  return new URLSearchParams(r.url.split('?')[1] ?? '');
}

export const TOKEN_ID = 'root@pam!homelab';
export const TOKEN_SECRET = '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d';
