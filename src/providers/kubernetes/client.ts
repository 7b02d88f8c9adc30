// The Kubernetes client: one @kubernetes/client-node KubeConfig per connection. Typed APIs come
// from kc.makeApiClient; `request` is the raw escape hatch (same auth, agent and error mapping).
// TLS is always verified: the kubeconfig's CA, else the system roots; never "skip".
import type { Agent } from 'node:https';
import type { Readable } from 'node:stream';
import { fromNetworkError, fromStatus, isKubeError, KubeError, RequestContext } from './errors';
import { ClusterConnection, ExecCredential, runExecPlugin } from './kubeconfig';
import { k8s, type K8s } from './lib';

export type Query = Record<string, string | number | boolean | string[] | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json; patches pass their patch type. */
  contentType?: string;
  signal?: AbortSignal;
}

/** Our authenticator's name in the KubeConfig: every user goes through it (see `authenticator`). */
const AUTH_PROVIDER = 'homelab';

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

const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'utf8').toString('base64') : undefined);

type FetchResponse = { status: number; headers: { get(n: string): string | null }; text(): Promise<string>; body: Readable };
type FetchFn = (url: string, init: Record<string, unknown>) => Promise<FetchResponse>;

type ObjectApiClass = new (config: ConstructorParameters<typeof K8s.KubernetesObjectApi>[0]) => K8s.KubernetesObjectApi & { useContextNamespace(kc: K8s.KubeConfig): void };
let objectApi: ObjectApiClass | undefined;

/**
 * client-node's KubernetesObjectApi, except that object names keep their case: it lowercases the
 * whole path, so a mixed-case name (valid for RBAC objects, invalid for most kinds) would address
 * another object or fail as a name mismatch instead of reaching the server's validation.
 */
function objectApiClass(): ObjectApiClass {
  if (objectApi) return objectApi;
  type Action = Parameters<K8s.KubernetesObjectApi['specUriPath']>[1];
  objectApi = class extends k8s().KubernetesObjectApi {
    useContextNamespace(kc: K8s.KubeConfig): void { this.setDefaultNamespace(kc); }
    protected override async specUriPath(spec: K8s.KubernetesObject, action: Action): Promise<string> {
      const path = await super.specUriPath(spec, action);
      if (action === 'create' || action === 'list' || !spec.metadata?.name) return path;
      return `${path.slice(0, path.lastIndexOf('/') + 1)}${encodeURIComponent(spec.metadata.name)}`;
    }
  };
  return objectApi;
}

export class KubeClient {
  /** The client-node configuration of this connection (one cluster, one user, one context). */
  readonly kc: K8s.KubeConfig;
  private cred: ExecCredential | undefined;
  private credPending: Promise<ExecCredential> | undefined;
  private readonly apis = new Map<unknown, unknown>();
  private objectApi: K8s.KubernetesObjectApi | undefined;

  /** `timeoutMs`: timeout of ordinary requests (default 30 s); streams (watch, logs, exec) have none. */
  constructor(readonly conn: ClusterConnection, private readonly opts: { timeoutMs?: number } = {}) {
    const lib = k8s();
    this.kc = new lib.KubeConfig();
    this.kc.addAuthenticator(this.authenticator());
    this.kc.loadFromOptions({
      clusters: [{ name: conn.context, server: conn.server, caData: b64(conn.caPem), skipTLSVerify: false }],
      users: [{
        name: conn.context, token: conn.token, certData: b64(conn.clientCertPem), keyData: b64(conn.clientKeyPem),
        username: conn.username, password: conn.password, authProvider: { name: AUTH_PROVIDER },
      }],
      contexts: [{ name: conn.context, cluster: conn.context, user: conn.context, namespace: conn.namespace }],
      currentContext: conn.context,
    });
  }

  get server(): string { return this.conn.server; }
  get namespace(): string { return this.conn.namespace; }
  get context(): string { return this.conn.context; }

  /**
   * Custom authenticators run when no built-in one claims the user; our users carry only our
   * auth-provider name, so this runs for every request (typed APIs, fetch, watch, WebSocket). It
   * pins TLS verification on (the process-wide environment override cannot turn it off) and applies the
   * exec plugin's credential. client-node's own ExecAuth would re-run a plugin whose credential has
   * no expirationTimestamp on every request and never refresh after a 401.
   */
  private authenticator(): Parameters<K8s.KubeConfig['addAuthenticator']>[0] {
    return {
      isAuthProvider: (user) => (user.authProvider as { name?: string } | undefined)?.name === AUTH_PROVIDER,
      applyAuthentication: async (_user, o) => {
        const opts = o as { rejectUnauthorized?: boolean; headers?: Record<string, string>; cert?: string | Buffer; key?: string | Buffer };
        opts.rejectUnauthorized = true;
        const cred = await this.execCredential();
        if (!cred) return;
        opts.headers ??= {};
        if (cred.token) opts.headers.Authorization = `Bearer ${cred.token}`;
        if (cred.clientCertPem && cred.clientKeyPem) { opts.cert = cred.clientCertPem; opts.key = cred.clientKeyPem; }
      },
    };
  }

  /** Credentials from the exec plugin: cached until they expire or the server answers 401. */
  private async execCredential(force = false): Promise<ExecCredential | undefined> {
    if (!this.conn.exec) return undefined;
    const fresh = this.cred && (this.cred.expiresAt === undefined || this.cred.expiresAt - Date.now() > 10_000);
    if (fresh && !force) return this.cred;
    this.credPending ??= runExecPlugin(this.conn.exec, this.conn.context)
      .then((c) => { this.cred = c; return c; })
      .finally(() => { this.credPending = undefined; });
    return this.credPending;
  }

  /** Forgets the exec plugin's credential after a 401 seen outside `call` (a watch), so the next
   * request runs the plugin again. */
  forgetCredential(): void { this.cred = undefined; }

  /** Maps any failure of a client-node call to a KubeError (ApiException carries the Status). */
  toKubeError(e: unknown, ctx: RequestContext = {}): KubeError {
    if (isKubeError(e)) return e;
    const c = { server: this.conn.server, context: this.conn.context, ...ctx };
    const lib = k8s();
    if (e instanceof lib.ApiException) {
      let body: unknown = e.body;
      if (typeof body === 'string') { try { body = JSON.parse(body); } catch { /* plain text */ } }
      return fromStatus(Number(e.code), body, c);
    }
    const code = (e as { statusCode?: number; code?: unknown })?.statusCode ?? (typeof (e as { code?: unknown })?.code === 'number' ? (e as { code: number }).code : undefined);
    if (typeof code === 'number' && code >= 400) return fromStatus(code, (e as { body?: unknown }).body, c);
    return fromNetworkError(e, c);
  }

  /**
   * Runs a client-node call with error mapping. A 401 with an exec plugin refreshes the credential
   * and retries once: the request was rejected before any processing, so this is not a blind retry.
   */
  async call<T>(ctx: RequestContext, fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (e) {
      const err = this.toKubeError(e, ctx);
      if (err.kind !== 'unauthorized' || !this.conn.exec) throw err;
      await this.execCredential(true);
      try { return await fn(); } catch (e2) { throw this.toKubeError(e2, ctx); }
    }
  }

  /** A typed API of client-node (CoreV1Api, AppsV1Api, ...), made once per client. */
  api<T extends K8s.ApiType>(ctor: K8s.ApiConstructor<T>): T {
    let a = this.apis.get(ctor) as T | undefined;
    if (!a) { a = this.kc.makeApiClient(ctor); this.apis.set(ctor, a); }
    return a;
  }

  get core(): K8s.CoreV1Api { return this.api(k8s().CoreV1Api); }
  get apps(): K8s.AppsV1Api { return this.api(k8s().AppsV1Api); }
  get networking(): K8s.NetworkingV1Api { return this.api(k8s().NetworkingV1Api); }
  /** Generic object API (discovery-based): read, patch (server-side apply), delete of any kind. */
  get objects(): K8s.KubernetesObjectApi {
    if (!this.objectApi) {
      const api = this.kc.makeApiClient(objectApiClass());
      api.useContextNamespace(this.kc);
      this.objectApi = api;
    }
    return this.objectApi;
  }

  /** A raw request with this connection's auth and TLS; non-2xx answers throw KubeError. */
  async request<T = unknown>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fetch = require('node-fetch') as FetchFn; // client-node's own HTTP client (it takes an https.Agent)
    const ctx = { method, path };
    return this.call(ctx, async () => {
      const init = await this.kc.applyToFetchOptions({}) as { agent?: Agent; headers: { set(k: string, v: string): void } };
      init.headers.set('Accept', 'application/json');
      let payload: string | undefined;
      if (o.body !== undefined) {
        payload = typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
        init.headers.set('Content-Type', o.contentType ?? 'application/json');
      }
      const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
      const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
      let res: FetchResponse;
      let text: string;
      try {
        res = await fetch(this.conn.server + path + buildQuery(o.query), { ...init, method, body: payload, signal });
        text = await res.text();
      } catch (e) {
        if (timeout.aborted && !o.signal?.aborted) throw fromNetworkError(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' }), { server: this.conn.server, path });
        throw e;
      } finally {
        // client-node makes an agent per request: free its sockets once the answer is read
        init.agent?.destroy();
      }
      let body: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json')) { try { body = JSON.parse(text); } catch { /* keep text */ } }
      if (res.status < 200 || res.status >= 300) throw fromStatus(res.status, body, { ...ctx, server: this.conn.server, context: this.conn.context });
      return body as T;
    });
  }

  /**
   * Opens a streaming GET (a raw watch, a log follow) without timeout. Resolves with the body
   * once a 200 arrives; other answers throw KubeError. Abort through `signal`.
   */
  async stream(path: string, query: Query, signal?: AbortSignal): Promise<Readable> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const fetch = require('node-fetch') as FetchFn;
    return this.call({ method: 'GET', path }, async () => {
      const init = await this.kc.applyToFetchOptions({}) as { headers: { set(k: string, v: string): void } };
      init.headers.set('Accept', 'application/json');
      const res = await fetch(this.conn.server + path + buildQuery(query), { ...init, method: 'GET', signal });
      if (res.status !== 200) {
        const text = await res.text();
        let body: unknown = text;
        try { body = JSON.parse(text); } catch { /* plain text */ }
        throw fromStatus(res.status, body, { method: 'GET', path, server: this.conn.server, context: this.conn.context });
      }
      return res.body;
    });
  }

  /** Nothing is pooled across requests (client-node makes an agent per request); kept for callers. */
  close(): void { /* no shared resources */ }
}
