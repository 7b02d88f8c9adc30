// One way to open a WebSocket to the API server (exec, port-forward): the kubeconfig's auth and TLS
// options, and a refused upgrade turned into the server's Status as a KubeError (the `ws` library
// alone reports only "Unexpected server response").
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { KubeClient } from './client';
import { fromStatus } from './errors';

/** Minimal typing of the `ws` client (client-node's WebSocket library; no @types/ws). */
export interface WsClientSocket {
  readonly protocol: string;
  readonly readyState: number;
  send(data: Buffer, cb?: (err?: Error) => void): void;
  close(code?: number): void;
  terminate(): void;
  on(ev: 'open', cb: () => void): this;
  on(ev: 'message', cb: (data: Buffer, isBinary: boolean) => void): this;
  on(ev: 'close', cb: () => void): this;
  on(ev: 'error', cb: (err: Error) => void): this;
  on(ev: 'unexpected-response', cb: (req: ClientRequest, res: IncomingMessage) => void): this;
}
type WsCtor = new (url: string, protocols: string[], opts: object) => WsClientSocket;

/**
 * Opens `pathAndQuery` on the client's server. Resolves once open; `setup` runs on the new socket
 * before any frame can arrive (message handlers).
 */
export async function openKubeSocket(client: KubeClient, pathAndQuery: string, protocols: string[], setup?: (s: WsClientSocket) => void): Promise<WsClientSocket> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const WebSocket = require('ws') as WsCtor;
  const opts: Record<string, unknown> = {};
  await client.kc.applyToHTTPSOptions(opts);
  const where = { method: 'GET', path: pathAndQuery.split('?')[0], server: client.server, context: client.context };
  return new Promise<WsClientSocket>((resolve, reject) => {
    const s = new WebSocket(client.server.replace(/^http/, 'ws') + pathAndQuery, protocols, opts);
    setup?.(s);
    s.on('open', () => resolve(s));
    s.on('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* plain */ }
        reject(fromStatus(res.statusCode ?? 0, body, where));
      });
    });
    s.on('error', (e) => reject(client.toKubeError(e, where)));
  });
}
