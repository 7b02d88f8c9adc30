// A small Kubernetes REST client on node:https. We do not call @kubernetes/client-node at run
// time: v2.0.1 bundles undici 8, which needs Node >= 22.19 and fails to load on Node 20.
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { ClientRequest } from 'node:http';
import { fromNetworkError, fromStatus, KubeError } from './errors';
import { ClusterConnection, ExecCredential, runExecPlugin } from './kubeconfig';

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json; patches pass their patch type. */
  contentType?: string;
  signal?: AbortSignal;
}

/** Minimal typing of the `ws` client (a dependency of @kubernetes/client-node; no @types/ws). */
export interface WsClientSocket {
  readonly protocol: string;
  readonly readyState: number;
  send(data: Buffer | string): void;
  close(code?: number): void;
  terminate(): void;
  on(ev: 'open', cb: () => void): this;
  on(ev: 'message', cb: (data: Buffer) => void): this;
  on(ev: 'close', cb: (code: number, reason: Buffer) => void): this;
  on(ev: 'error', cb: (err: Error) => void): this;
  on(ev: 'unexpected-response', cb: (req: ClientRequest, res: IncomingMessage) => void): this;
}
type WsCtor = new (url: string, protocols: string[], opts: { agent?: Agent; headers?: Record<string, string>; ca?: string; cert?: string; key?: string }) => WsClientSocket;

function buildQuery(q: Query | undefined): string {
  if (!q) return '';
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) v.forEach((x) => sp.append(k, x));
    else sp.append(k, String(v));
  }
  const s = sp.toString();
  return s ? `?${s}` : '';
}

async function readAll(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export class KubeClient {
  private agent: Agent;
  private cred: ExecCredential | undefined;
  private credPending: Promise<ExecCredential> | undefined;

  /** `timeoutMs`: idle timeout of ordinary requests (default 30 s); streams (watch, logs) have none. */
  constructor(readonly conn: ClusterConnection, private readonly opts: { timeoutMs?: number } = {}) {
    this.agent = this.makeAgent(conn.clientCertPem, conn.clientKeyPem);
  }

  get server(): string { return this.conn.server; }
  get namespace(): string { return this.conn.namespace; }
  get context(): string { return this.conn.context; }

  private makeAgent(cert?: string, key?: string): Agent {
    // the CA from the kubeconfig pins the server; without one, the system roots apply (never "off")
    return new Agent({ keepAlive: true, ca: this.conn.caPem, cert, key });
  }

  /** Credentials from the exec plugin, refreshed when expired or after a 401. */
  private async execCredential(force = false): Promise<ExecCredential | undefined> {
    if (!this.conn.exec) return undefined;
    const fresh = this.cred && (this.cred.expiresAt === undefined || this.cred.expiresAt - Date.now() > 10_000);
    if (fresh && !force) return this.cred;
    this.credPending ??= runExecPlugin(this.conn.exec, this.conn.context).then((c) => {
      const certChanged = c.clientCertPem && c.clientCertPem !== this.cred?.clientCertPem;
      this.cred = c;
      if (certChanged) { this.agent.destroy(); this.agent = this.makeAgent(c.clientCertPem, c.clientKeyPem); }
      return c;
    }).finally(() => { this.credPending = undefined; });
    return this.credPending;
  }

  private async headers(force = false): Promise<Record<string, string>> {
    const h: Record<string, string> = { Accept: 'application/json' };
    const cred = await this.execCredential(force);
    const token = cred?.token ?? this.conn.token;
    if (token) h.Authorization = `Bearer ${token}`;
    else if (this.conn.username && this.conn.password) h.Authorization = `Basic ${Buffer.from(`${this.conn.username}:${this.conn.password}`).toString('base64')}`;
    return h;
  }

  /** Sends a request and returns the response (any status) once headers arrive. */
  private async send(method: string, path: string, o: RequestOptions & { streaming?: boolean }, forceCred = false): Promise<IncomingMessage> {
    const headers = await this.headers(forceCred);
    let payload: Buffer | undefined;
    if (o.body !== undefined) {
      payload = Buffer.from(typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const url = new URL(this.conn.server + path + buildQuery(o.query));
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpsRequest(url, { method, headers, agent: this.agent, signal: o.signal }, (res) => {
        // streams stay open for minutes without data: no idle timeout, but TCP keepalive finds dead peers
        if (o.streaming) { req.setTimeout(0); res.socket.setKeepAlive(true, 30_000); }
        resolve(res);
      });
      if (!o.streaming) req.setTimeout(this.opts.timeoutMs ?? 30_000, () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(o.signal?.aborted ? e : fromNetworkError(e, { server: this.conn.server, path })));
      req.end(payload);
    });
  }

  /** Like send, but a 401 with an exec plugin refreshes the credential and retries once: the
   * request was rejected before any processing, so this is not a blind retry. */
  private async sendAuthed(method: string, path: string, o: RequestOptions & { streaming?: boolean }): Promise<IncomingMessage> {
    const res = await this.send(method, path, o);
    if (res.statusCode === 401 && this.conn.exec) { res.resume(); return this.send(method, path, o, true); }
    return res;
  }

  async request<T = unknown>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    const res = await this.sendAuthed(method, path, o);
    const text = await readAll(res);
    const status = res.statusCode ?? 0;
    let body: unknown = text;
    if ((res.headers['content-type'] ?? '').includes('json')) { try { body = JSON.parse(text); } catch { /* keep text */ } }
    if (status < 200 || status >= 300) throw fromStatus(status, body, { method, path, server: this.conn.server, context: this.conn.context });
    return body as T;
  }

  /** Opens a streaming GET (watch, log follow). Resolves with the 200 response; errors throw KubeError. */
  async stream(path: string, query: Query, signal?: AbortSignal): Promise<IncomingMessage> {
    const res = await this.sendAuthed('GET', path, { query, signal, streaming: true });
    if (res.statusCode !== 200) {
      const text = await readAll(res);
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* plain text */ }
      throw fromStatus(res.statusCode ?? 0, body, { method: 'GET', path, server: this.conn.server, context: this.conn.context });
    }
    return res;
  }

  /** Opens a WebSocket (exec) with the given subprotocols. */
  async websocket(path: string, query: Query, protocols: string[]): Promise<WsClientSocket> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const WebSocket = require('ws') as WsCtor;
    const headers = await this.headers();
    const url = (this.conn.server + path + buildQuery(query)).replace(/^http/, 'ws');
    const sock = new WebSocket(url, protocols, { headers, ca: this.conn.caPem, cert: this.cred?.clientCertPem ?? this.conn.clientCertPem, key: this.cred?.clientKeyPem ?? this.conn.clientKeyPem });
    return new Promise((resolve, reject) => {
      sock.on('open', () => resolve(sock));
      sock.on('unexpected-response', (_req, res) => {
        readAll(res).then((text) => {
          let body: unknown = text;
          try { body = JSON.parse(text); } catch { /* plain */ }
          reject(fromStatus(res.statusCode ?? 0, body, { method: 'GET', path, server: this.conn.server, context: this.conn.context }));
        }, reject);
      });
      sock.on('error', (e) => reject(e instanceof KubeError ? e : fromNetworkError(e, { server: this.conn.server, path })));
    });
  }

  close(): void { this.agent.destroy(); }
}
