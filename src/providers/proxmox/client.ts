// The Proxmox client: authentication on top of our transport, the typed `proxmox-api` proxy
// over it, and the few calls the extension makes everywhere.

import type { Readable } from 'node:stream';
import type { Proxmox, ApiRequestable } from 'proxmox-api' with { 'resolution-mode': 'import' };
import { InvalidInputError, ProxmoxError } from './errors';
import { Transport, API_BASE, type Params, type RequestOptions } from './transport';
import type { ClusterResource, NodeStatus, ResourceType, StorageContentItem, TicketAnswer, VersionInfo } from './types';
import { normaliseFingerprint, parseClusterUrl, validateTokenId, validateTokenSecret, type ClusterUrl } from './validate';

// proxmox-api ships its types only with its ESM build; at run time we load its CJS build.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { proxmoxApi } = require('proxmox-api') as { proxmoxApi(engine: ApiRequestable): Proxmox.Api };

export type ProxmoxAuth =
  | { kind: 'token'; tokenId: string; secret: string }
  | { kind: 'ticket'; username: string; password: string; realm?: string; otp?: string };

export interface ConnectionOptions {
  /** https://host:8006 (a trailing /api2/json is accepted). */
  url: string;
  /** SHA-256 of the server certificate, any common notation; pins it. Wins over caPem. */
  fingerprint?: string;
  /** PEM of the CA to trust (e.g. /etc/pve/pve-root-ca.pem). Neither given: the system CAs. */
  caPem?: string;
  auth: ProxmoxAuth;
  /** Per-request timeout, default 15000. */
  timeoutMs?: number;
  /** TCP+TLS connect timeout, default min(timeoutMs, 10000). */
  connectTimeoutMs?: number;
  /** Age after which a ticket is renewed (tickets live 2 h), default 60 min. */
  ticketRenewAfterMs?: number;
  /** Clock, for tests. */
  now?: () => number;
  /** Largest response body read, default 32 MiB. */
  maxResponseBytes?: number;
}

/** Encodes one path segment but keeps the characters PVE ids are made of readable
 *  (`:` `@` `!` of a UPID, `=` `,`): they are legal in a path and PVE decodes either form. */
export function pathSegment(s: string | number): string {
  return encodeURIComponent(String(s)).replace(/%(3A|40|21|3D|2C)/gi, (m) => decodeURIComponent(m));
}

const TICKET_LIFETIME_MS = 2 * 60 * 60 * 1000;

interface Ticket { ticket: string; csrf: string; username: string; obtainedAt: number }

export class ProxmoxClient {
  // A getter over an ES-private field: the proxy answers every property (toJSON included), so
  // as an own property it would make JSON.stringify(client) recurse forever.
  readonly #api: Proxmox.Api;
  readonly url: ClusterUrl;
  readonly fingerprint?: string;
  private readonly transport: Transport;
  // ES-private: the secret stays out of JSON.stringify and console.log of the client.
  readonly #auth: ProxmoxAuth;
  private readonly now: () => number;
  private readonly renewAfterMs: number;
  #ticket?: Ticket;
  private pendingLogin?: Promise<Ticket>;

  constructor(o: ConnectionOptions) {
    this.url = parseClusterUrl(o.url);
    this.fingerprint = o.fingerprint ? normaliseFingerprint(o.fingerprint) : undefined;
    this.#auth = checkAuth(o.auth);
    this.now = o.now ?? Date.now;
    this.renewAfterMs = o.ticketRenewAfterMs ?? 60 * 60 * 1000;
    const timeoutMs = o.timeoutMs ?? 15000;
    this.transport = new Transport({
      origin: this.url.origin, hostname: this.url.hostname, port: this.url.port,
      fingerprint: this.fingerprint, caPem: this.fingerprint ? undefined : o.caPem,
      timeoutMs, connectTimeoutMs: o.connectTimeoutMs ?? Math.min(timeoutMs, 10000),
      secrets: () => this.secrets(),
      maxResponseBytes: o.maxResponseBytes,
    });
    const engine: ApiRequestable = {
      doRequest: (method, path, _template, params) =>
        this.request(method, path.startsWith(API_BASE) ? path.slice(API_BASE.length) : path, params),
    };
    this.#api = proxmoxApi(engine);
  }

  /** Typed proxy: `api.nodes.$(node).qemu.$(vmid).status.start.$post()`. */
  get api(): Proxmox.Api {
    return this.#api;
  }

  /** HTTP requests sent so far, logins included. */
  get requestCount(): number {
    return this.transport.requestCount;
  }

  get<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, params, opts);
  }
  post<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>('POST', path, params, opts);
  }
  put<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>('PUT', path, params, opts);
  }
  delete<T = unknown>(path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    return this.request<T>('DELETE', path, params, opts);
  }

  async request<T = unknown>(method: string, path: string, params?: Params, opts?: RequestOptions): Promise<T> {
    method = method.toUpperCase();
    const { headers, hint } = await this.authHeaders(method);
    return this.withAuth(() => this.transport.request(method, path, params, headers, opts, hint) as Promise<T>);
  }

  /** A POST/PUT whose body is a stream with its own Content-Type and Content-Length (an ISO
   *  upload): same pinned transport and authentication, never retried. */
  async requestStream<T = unknown>(method: string, path: string, body: Readable | AsyncIterable<Uint8Array>, headers: Record<string, string>, opts?: RequestOptions): Promise<T> {
    method = method.toUpperCase();
    const auth = await this.authHeaders(method);
    return this.withAuth(() => this.transport.requestStream(method, path, body, { ...headers, ...auth.headers }, opts, auth.hint) as Promise<T>);
  }

  /** Opens an authenticated WebSocket on the pinned transport (`path` relative to /api2/json, query included). */
  async openWebSocket(path: string, protocols?: string[]): Promise<import('undici').WebSocket> {
    const { headers } = await this.authHeaders('GET');
    return this.transport.webSocket(path, headers, protocols);
  }

  private async withAuth<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      // A refused ticket is useless: log in again on the next call (this call is not resent).
      if (this.#auth.kind === 'ticket' && e instanceof ProxmoxError && e.kind === 'auth') this.#ticket = undefined;
      throw e;
    }
  }

  private async authHeaders(method: string): Promise<{ headers: Record<string, string>; hint: string }> {
    const headers: Record<string, string> = {};
    let hint: string;
    if (this.#auth.kind === 'token') {
      headers.authorization = `PVEAPIToken=${this.#auth.tokenId}=${this.#auth.secret}`;
      hint = 'check the API token ID and secret, and that the token is not expired or deleted';
    } else {
      const t = await this.currentTicket();
      headers.cookie = `PVEAuthCookie=${t.ticket}`;
      // PVE requires the CSRF token on every non-GET when authenticated by cookie.
      if (method !== 'GET') headers.csrfpreventiontoken = t.csrf;
      hint = 'the login ticket was refused; sign in again';
    }
    return { headers, hint };
  }

  version(): Promise<VersionInfo> {
    return this.get<VersionInfo>('/version');
  }

  nodes(): Promise<NodeStatus[]> {
    return this.get<NodeStatus[]>('/nodes');
  }

  /** One call for the whole cluster (never one per node). */
  resources(type?: ResourceType): Promise<ClusterResource[]> {
    return this.get<ClusterResource[]>('/cluster/resources', type ? { type } : undefined);
  }

  /** Next free VMID. PVE returns it as a string and does not reserve it. */
  async nextId(): Promise<number> {
    const raw = await this.get<unknown>('/cluster/nextid');
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n <= 0) {
      throw new ProxmoxError({ kind: 'not-proxmox', method: 'GET', path: '/cluster/nextid', status: 200,
        message: `GET /cluster/nextid answered ${JSON.stringify(raw)}, not a VM ID` });
    }
    return n;
  }

  storageContent(node: string, storage: string, content?: string): Promise<StorageContentItem[]> {
    return this.get<StorageContentItem[]>(`/nodes/${pathSegment(node)}/storage/${pathSegment(storage)}/content`,
      content ? { content } : undefined);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private secrets(): string[] {
    const s: string[] = [];
    if (this.#auth.kind === 'token') s.push(this.#auth.secret);
    else s.push(this.#auth.password, ...(this.#auth.otp ? [this.#auth.otp] : []));
    if (this.#ticket) s.push(this.#ticket.ticket, this.#ticket.csrf);
    return s;
  }

  /** Valid ticket, logging in or renewing first; concurrent callers share one login. */
  private async currentTicket(): Promise<Ticket> {
    const t = this.#ticket;
    if (t && this.now() - t.obtainedAt < this.renewAfterMs) return t;
    if (!this.pendingLogin) {
      this.pendingLogin = this.obtainTicket(t).finally(() => (this.pendingLogin = undefined));
    }
    return this.pendingLogin;
  }

  private async obtainTicket(old: Ticket | undefined): Promise<Ticket> {
    if (this.#auth.kind !== 'ticket') throw new Error('no ticket with token auth');
    // Renew by posting the old ticket as password while it is still valid; else log in afresh.
    if (old && this.now() - old.obtainedAt < TICKET_LIFETIME_MS - 60_000) {
      try {
        return (this.#ticket = await this.postTicket({ username: old.username, password: old.ticket }));
      } catch (e) {
        if (!(e instanceof ProxmoxError) || (e.kind !== 'auth' && e.kind !== 'parameter')) throw e;
      }
    }
    const { username, password, realm, otp } = this.#auth;
    this.#ticket = undefined;
    return (this.#ticket = await this.postTicket({ username, password, realm, otp }));
  }

  private async postTicket(params: Params): Promise<Ticket> {
    const hint = 'check the username, password and realm';
    const ans = (await this.transport.request('POST', '/access/ticket', params, {}, {}, hint)) as TicketAnswer | null;
    if (ans && ans.NeedTFA) {
      throw new ProxmoxError({ kind: 'auth', method: 'POST', path: '/access/ticket', status: 200,
        message: 'This account requires two-factor authentication, which sign-in here does not support yet: use an API token instead.' });
    }
    if (!ans || typeof ans.ticket !== 'string' || typeof ans.CSRFPreventionToken !== 'string') {
      throw new ProxmoxError({ kind: 'not-proxmox', method: 'POST', path: '/access/ticket', status: 200,
        message: 'POST /access/ticket answered without a ticket: this does not look like the Proxmox API.' });
    }
    return { ticket: ans.ticket, csrf: ans.CSRFPreventionToken, username: ans.username || String(params.username), obtainedAt: this.now() };
  }
}

function checkAuth(a: ProxmoxAuth): ProxmoxAuth {
  if (!a || (a.kind !== 'token' && a.kind !== 'ticket')) throw new InvalidInputError('auth', 'Choose API token or username/password authentication');
  if (a.kind === 'token') {
    const tokenId = a.tokenId?.trim() ?? '';
    const secret = a.secret?.trim() ?? '';
    const bad = validateTokenId(tokenId);
    if (bad) throw new InvalidInputError('tokenId', bad);
    const badSecret = validateTokenSecret(secret);
    if (badSecret) throw new InvalidInputError('tokenSecret', badSecret);
    return { kind: 'token', tokenId, secret };
  }
  const username = a.username?.trim() ?? '';
  if (!username) throw new InvalidInputError('username', 'The username is empty: e.g. root@pam');
  if (!username.includes('@') && !a.realm) {
    throw new InvalidInputError('username', `The username "${username}" has no realm: write ${username}@pam (Linux user) or ${username}@pve (Proxmox user)`);
  }
  if (!a.password) throw new InvalidInputError('password', 'The password is empty');
  return { ...a, username };
}
