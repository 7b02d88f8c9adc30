// Our own HTTPS transport on undici 6 (proxmox-api's built-in one defaults to port 443, resends
// failed POSTs and rejects charset variants). One Agent per cluster connection, TLS always verified:
// pinned SHA-256 fingerprint, or a CA PEM, or (neither) the system CAs.

import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { Agent, WebSocket, buildConnector } from 'undici';
import { ProxmoxError, kindForStatus, redact, type ProxmoxErrorKind } from './errors';

export type Params = Record<string, unknown>;

export interface TransportOptions {
  origin: string; // https://host:port
  hostname: string;
  port: number;
  /** Normalised (uppercase colon) SHA-256 of the server certificate: pins it. */
  fingerprint?: string;
  caPem?: string;
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Values that must never appear in an error (token secret, password, ticket). */
  secrets: () => string[];
  /** Largest response body read (default MAX_RESPONSE_BYTES); past it the request is aborted. */
  maxResponseBytes?: number;
}

/**
 * A response body is held in memory and parsed as one JSON text, so a server (or anything in its
 * place) sending an endless body would take the extension host down. The largest real answer,
 * /cluster/resources of a big cluster, is a few MB.
 */
export const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

class ResponseTooLarge extends Error {
  constructor(readonly limit: number) {
    super('response too large');
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the connection's per-request timeout (e.g. an upload). */
  timeoutMs?: number;
}

export const API_BASE = '/api2/json';

/** Form/query encoding PVE accepts: booleans 0/1, arrays repeated, every value percent-encoded
 *  (encodeURIComponent: `;` and `%` survive, space is %20 not `+`). Null/undefined are left out. */
export function encodeParams(params: Params | undefined): string {
  if (!params) return '';
  const parts: string[] = [];
  const one = (k: string, v: unknown) => {
    if (v === undefined || v === null) return;
    let s: string;
    if (v === true) s = '1';
    else if (v === false) s = '0';
    else if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string') s = String(v);
    else throw new TypeError(`Parameter "${k}" must be a string, number or boolean, not ${typeof v}`);
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
  };
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((e) => one(k, e));
    else one(k, v);
  }
  return parts.join('&');
}

/** Internal marker raised by the pinning connector; turned into a ProxmoxError with method/path. */
class FingerprintMismatch extends Error {
  constructor(readonly expected: string, readonly actual: string) {
    super('certificate fingerprint mismatch');
  }
}

/** Pins by fingerprint: Node's CA check cannot pass on a self-signed PVE certificate and
 *  checkServerIdentity is skipped when it fails, so verification is replaced by an exact
 *  comparison made after the handshake and BEFORE undici gets the socket, i.e. before any
 *  request byte is written. No session cache: every connection shows its certificate. */
function pinnedConnector(expected: string, timeout: number): buildConnector.connector {
  const base = buildConnector({ rejectUnauthorized: false, timeout, maxCachedSessions: 0 });
  return (opts, callback) => {
    base(opts, (err, socket) => {
      if (err || !socket) return callback(err ?? new Error('no socket'), null);
      const actual = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256 ?? '';
      if (actual.toUpperCase() !== expected) {
        socket.destroy();
        return callback(new FingerprintMismatch(expected, actual.toUpperCase()), null);
      }
      callback(null, socket);
    });
  };
}

const DROPPED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
const TLS_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_SIGNATURE_FAILURE', 'CERT_UNTRUSTED', 'CERT_REVOKED',
]);
const NOT_TLS = new Set(['EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'HPE_INVALID_CONSTANT']);

function codeOf(e: unknown): string {
  const err = e as { code?: string; cause?: { code?: string } };
  return err?.code ?? err?.cause?.code ?? '';
}

interface RawResponse { status: number; reason: string; contentType: string; text: string }

export class Transport {
  /** HTTP requests put on the wire (logins and the one GET retry included). */
  requestCount = 0;
  private readonly agent: Agent;

  constructor(private readonly o: TransportOptions) {
    const connect = o.fingerprint
      ? pinnedConnector(o.fingerprint, o.connectTimeoutMs)
      : buildConnector({ timeout: o.connectTimeoutMs, ...(o.caPem ? { ca: o.caPem } : {}) });
    // pveproxy runs few workers: a handful of keep-alive connections is plenty.
    this.agent = new Agent({ connect, connections: 4 });
  }

  /** Sends one API call and returns `data` of the envelope. `path` is relative to /api2/json. */
  async request(method: string, path: string, params: Params | undefined, headers: Record<string, string>,
    opts: RequestOptions = {}, authHint = ''): Promise<unknown> {
    method = method.toUpperCase();
    if (!path.startsWith('/')) path = '/' + path;
    const encoded = encodeParams(params);
    const hasBody = method === 'POST' || method === 'PUT';
    const fullPath = API_BASE + path + (!hasBody && encoded ? (path.includes('?') ? '&' : '?') + encoded : '');
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': 'homelab-vscode', ...headers };
    if (hasBody) h['content-type'] = 'application/x-www-form-urlencoded';
    const body = hasBody ? encoded : undefined;
    const ctx = { method, path: path.split('?')[0], authHint };
    let raw: RawResponse;
    try {
      raw = await this.send(method, fullPath, h, body, opts);
    } catch (e) {
      // Only a GET, only once, only when the connection dropped: a POST may already have run.
      if (method !== 'GET' || !DROPPED.has(codeOf(e)) || opts.signal?.aborted) throw this.toError(e, ctx, opts);
      try {
        raw = await this.send(method, fullPath, h, body, opts);
      } catch (e2) {
        throw this.toError(e2, ctx, opts);
      }
    }
    return this.parse(raw, ctx);
  }

  /** Sends one request whose body is a stream (multipart upload) with the caller's headers
   *  (Content-Type, Content-Length). Never retried: the stream is consumed and the call may have run. */
  async requestStream(method: string, path: string, body: Readable | AsyncIterable<Uint8Array>, headers: Record<string, string>,
    opts: RequestOptions = {}, authHint = ''): Promise<unknown> {
    method = method.toUpperCase();
    if (!path.startsWith('/')) path = '/' + path;
    const h: Record<string, string> = { accept: 'application/json', 'user-agent': 'homelab-vscode', ...headers };
    const ctx = { method, path: path.split('?')[0], authHint };
    let raw: RawResponse;
    try {
      raw = await this.send(method, API_BASE + path, h, body, opts);
    } catch (e) {
      throw this.toError(e, ctx, opts);
    }
    return this.parse(raw, ctx);
  }

  /** A WebSocket on the same pinned connection pool (e.g. vncwebsocket for a serial console). */
  webSocket(path: string, headers: Record<string, string>, protocols?: string[]): WebSocket {
    const url = this.o.origin.replace(/^http/, 'ws') + API_BASE + (path.startsWith('/') ? path : '/' + path);
    return new WebSocket(url, { dispatcher: this.agent, headers: { 'user-agent': 'homelab-vscode', ...headers }, protocols });
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async send(method: string, path: string, headers: Record<string, string>, body: string | Readable | AsyncIterable<Uint8Array> | undefined,
    opts: RequestOptions): Promise<RawResponse> {
    const timeoutMs = opts.timeoutMs ?? this.o.timeoutMs;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new TimeoutMarker()), timeoutMs);
    const onAbort = () => ctl.abort(opts.signal?.reason);
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.requestCount++;
      return await this.dispatch(method, path, headers, body, timeoutMs, ctl.signal);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Low-level dispatch: undici's request() hides the reason phrase, where PVE puts its message. */
  private dispatch(method: string, path: string, headers: Record<string, string>, body: string | Readable | AsyncIterable<Uint8Array> | undefined,
    timeoutMs: number, signal: AbortSignal): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      let abortRequest: ((e?: Error) => void) | undefined;
      let settled = false;
      const res: RawResponse = { status: 0, reason: '', contentType: '', text: '' };
      const chunks: Buffer[] = [];
      const limit = this.o.maxResponseBytes ?? MAX_RESPONSE_BYTES;
      let received = 0;
      const finish = (err: unknown) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve({ ...res, text: Buffer.concat(chunks).toString('utf8') });
      };
      const onAbort = () => {
        abortRequest?.(signal.reason);
        finish(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.agent.dispatch(
        // undici writes async iterables too (client-h1 writeIterable); its types only list Readable.
        { origin: this.o.origin, path, method: method as 'GET', headers, body: body as string | Readable | undefined, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
        {
          onConnect: (abort) => {
            abortRequest = abort;
            // Aborted or timed out while queued: never let it reach the wire later.
            if (settled || signal.aborted) abort(signal.reason ?? new Error('aborted'));
          },
          onHeaders: (status, raw, _resume, statusText) => {
            if (status < 200) return true;
            res.status = status;
            res.reason = statusText ?? '';
            for (let i = 0; i + 1 < raw.length; i += 2) {
              if (raw[i].toString('latin1').toLowerCase() === 'content-type') res.contentType = raw[i + 1].toString('latin1');
            }
            return true;
          },
          onData: (chunk) => {
            received += chunk.length;
            if (received > limit) {
              const e = new ResponseTooLarge(limit);
              abortRequest?.(e);
              finish(e);
              return false;
            }
            chunks.push(chunk);
            return true;
          },
          onComplete: () => finish(undefined),
          onError: (err) => finish(err),
        },
      );
    });
  }

  private where(): string {
    return `${this.o.hostname}:${this.o.port}`;
  }

  private fail(kind: ProxmoxErrorKind, message: string, ctx: { method: string; path: string }, extra: Partial<ConstructorParameters<typeof ProxmoxError>[0]> = {}): ProxmoxError {
    const s = this.o.secrets();
    return new ProxmoxError({
      ...extra, kind, method: ctx.method, path: ctx.path,
      message: redact(message, s),
      reason: extra.reason === undefined ? undefined : redact(extra.reason, s),
      pveMessage: extra.pveMessage === undefined ? undefined : redact(extra.pveMessage, s),
      errors: extra.errors && Object.fromEntries(Object.entries(extra.errors).map(([k, v]) => [k, redact(String(v), s)])),
    });
  }

  private toError(e: unknown, ctx: { method: string; path: string }, opts: RequestOptions): unknown {
    if (opts.signal?.aborted && !(e instanceof TimeoutMarker)) return opts.signal.reason ?? e;
    const what = `${ctx.method} ${ctx.path}`;
    const mayHaveRun = ctx.method === 'GET' ? '' : ' It may still have been carried out; it was not sent again.';
    if (e instanceof FingerprintMismatch) {
      return this.fail('tls-untrusted', `The certificate of ${this.where()} does not match the pinned fingerprint (expected ${e.expected}, got ${e.actual}). If the certificate was renewed, check the new fingerprint under Node > System > Certificates before trusting it.`,
        ctx, { expectedFingerprint: e.expected, actualFingerprint: e.actual, cause: e });
    }
    if (e instanceof ResponseTooLarge) {
      return this.fail('too-large', `${this.where()} sent more than ${Math.round(e.limit / 1048576)} MiB for ${what}; Homelab stopped reading it. A Proxmox answer is never that large: check that the URL is the Proxmox API.${mayHaveRun}`, ctx, { cause: e });
    }
    const code = codeOf(e);
    const cause = e;
    if (e instanceof TimeoutMarker || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return this.fail('timeout', `${this.where()} did not answer ${what} in time.${mayHaveRun}`, ctx, { cause });
    }
    if (code === 'UND_ERR_CONNECT_TIMEOUT') {
      return this.fail('timeout', `Could not connect to ${this.where()} within ${Math.round(this.o.connectTimeoutMs / 1000)} s: is the host up and port ${this.o.port} reachable?`, ctx, { cause });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
      return this.fail('network', `Host "${this.o.hostname}" not found (DNS lookup failed): check the name or use the node's IP address.`, ctx, { cause });
    }
    if (code === 'ECONNREFUSED') {
      return this.fail('network', `${this.where()} refused the connection: is this the Proxmox API port (8006) and is pveproxy running?`, ctx, { cause });
    }
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') {
      return this.fail('network', `${this.where()} is unreachable (${code}): check the address and your network.`, ctx, { cause });
    }
    if (DROPPED.has(code)) {
      return this.fail('network', `The connection to ${this.where()} dropped during ${what}.${mayHaveRun}`, ctx, { cause });
    }
    if (TLS_UNTRUSTED.has(code)) {
      return this.fail('tls-untrusted', `The certificate of ${this.where()} is not trusted (${code})${this.o.caPem ? ' by the configured CA' : ''}: pin its SHA-256 fingerprint or give the cluster CA (pve-root-ca.pem).`, ctx, { cause });
    }
    if (NOT_TLS.has(code) || /wrong version number|packet length too long/i.test(String((e as Error)?.message))) {
      return this.fail('not-proxmox', `${this.where()} does not speak HTTPS: is this the Proxmox API port (8006)?`, ctx, { cause });
    }
    return this.fail('network', `Request ${what} to ${this.where()} failed: ${(e as Error)?.message ?? String(e)}`, ctx, { cause });
  }

  private parse(raw: RawResponse, ctx: { method: string; path: string; authHint: string }): unknown {
    const what = `${ctx.method} ${ctx.path}`;
    const ct = raw.contentType.toLowerCase();
    const isJson = /^application\/json\s*(;|$)/.test(ct);
    let body: { data?: unknown; errors?: Record<string, string>; message?: string } | undefined;
    if (isJson && raw.text) {
      try {
        body = JSON.parse(raw.text);
      } catch {
        throw this.fail('not-proxmox', `${this.where()} answered ${what} with invalid JSON: this does not look like the Proxmox API.`, ctx, { status: raw.status, reason: raw.reason });
      }
    }
    if (ct.startsWith('text/html') || /^\s*<(!doctype|html)/i.test(raw.text)) {
      throw this.fail('not-proxmox', `${this.where()} answered ${what} with an HTML page (HTTP ${raw.status}), not the Proxmox API: check the URL and port 8006.`, ctx, { status: raw.status, reason: raw.reason });
    }
    if (raw.status === 200) {
      if (!isJson) throw this.fail('not-proxmox', `${this.where()} answered ${what} with "${raw.contentType || 'no content type'}" instead of JSON: this does not look like the Proxmox API.`, ctx, { status: 200, reason: raw.reason });
      if (!body || typeof body !== 'object' || Array.isArray(body) || !('data' in body)) {
        throw this.fail('not-proxmox', `${this.where()} answered ${what} without the {"data": ...} envelope of the Proxmox API.`, ctx, { status: 200, reason: raw.reason });
      }
      return body.data;
    }
    const kind = kindForStatus(raw.status);
    const errors = body && body.errors && typeof body.errors === 'object' ? body.errors : undefined;
    const pveMessage = typeof body?.message === 'string' ? body.message.trim() : undefined;
    const reason = raw.reason;
    const detail = reason || pveMessage || `HTTP ${raw.status}`;
    const list = errors ? ' ' + Object.entries(errors).map(([k, v]) => `${k}: ${String(v).trim()}`).join('; ') : '';
    const messages: Record<ProxmoxErrorKind, string> = {
      parameter: `Proxmox rejected ${what}: ${detail}${list}`,
      auth: `Authentication failed for ${what} (${detail})${ctx.authHint ? ': ' + ctx.authHint : ''}`,
      permission: `Permission denied for ${what}: ${detail}. Grant the missing privilege to the user or API token (a privilege-separated token needs its own ACL).`,
      'not-implemented': `${what} is not available on this Proxmox server (${detail}).`,
      'node-offline': `The node that should answer ${what} is offline or unreachable from the cluster (HTTP ${raw.status} ${detail}).`,
      server: `Proxmox failed ${what}: ${detail}${list}`,
      'not-proxmox': `${this.where()} answered ${what} with HTTP ${raw.status} ${detail}: this does not look like the Proxmox API; check the URL and port 8006.`,
      timeout: '', network: '', 'tls-untrusted': '', 'too-large': '',
    };
    throw this.fail(kind, messages[kind], ctx, { status: raw.status, reason, errors, pveMessage });
  }
}

class TimeoutMarker extends Error {
  constructor() {
    super('request timed out');
  }
}
