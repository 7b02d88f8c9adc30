import { createServer, type Server, type Socket } from 'node:net';
import * as vscode from 'vscode';
import { isRunning, pickPod, targetPort, type ServicePort } from './pod-choice';
import type { KubernetesSession } from './session';

/** What is forwarded: a pod's port, or a service's port (through one ready pod behind it). */
export interface PortForwardTarget { context: string; namespace: string; kind: 'pods' | 'services'; name: string; port: number }

/**
 * `active`: listening, connections go to `pod`. `waiting`: a service has no ready pod now (new
 * connections are refused until one is). `ended`: the pod went away; the local port is freed.
 */
export type PortForwardState = 'active' | 'waiting' | 'ended';

export interface PortForwardInfo {
  id: string;
  target: PortForwardTarget;
  localPort: number;
  /** The pod connections go to now. */
  pod?: string;
  /** The pod's port (a service's targetPort resolved). */
  podPort?: number;
  state: PortForwardState;
  message?: string;
  connections: number;
}

interface Forward extends PortForwardInfo {
  server: Server;
  sockets: Set<Socket>;
}

/** Thrown when the local port is taken: the command says so plainly. */
export class PortInUseError extends Error {}

let nextId = 1;

/**
 * Live port-forwards, with no UI. Each listens on 127.0.0.1 and opens one API stream per local
 * connection. Pods (and services) of forwarded namespaces are watched through the session: a
 * forwarded pod that goes away ends its forward; a service's forward moves to another ready pod.
 */
export class PortForwards implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<PortForwardInfo[]>();
  /** The list or a forward's state changed (with the forwards of now). */
  readonly onDidChange = this.changed.event;
  private readonly forwards = new Map<string, Forward>();
  /** Targets of forwards being started: their watches are wanted before they are listed. */
  private readonly starting = new Set<PortForwardTarget>();
  private readonly sub: vscode.Disposable;

  constructor(private readonly session: KubernetesSession, private readonly log: { info(m: string): void; warn(m: string): void }) {
    this.sub = session.onDidChangeObjects((changes) => {
      if (changes.some((c) => c.kind === 'pods' || c.kind === 'services')) this.reconcile();
    });
  }

  list(context?: string): PortForwardInfo[] {
    return [...this.forwards.values()].filter((f) => context === undefined || f.target.context === context).map((f) => this.info(f));
  }

  get(id: string): PortForwardInfo | undefined {
    const f = this.forwards.get(id);
    return f && this.info(f);
  }

  private info(f: Forward): PortForwardInfo {
    return { id: f.id, target: { ...f.target }, localPort: f.localPort, pod: f.pod, podPort: f.podPort, state: f.state, message: f.message, connections: f.sockets.size };
  }

  /** Starts a forward; `localPort` 0 picks a free port. Throws PortInUseError when the port is taken. */
  async start(target: PortForwardTarget, localPort: number): Promise<PortForwardInfo> {
    const k8s = await this.session.modules();
    k8s.portforward.parsePort(target.port);
    k8s.portforward.parsePort(localPort, true);
    await this.session.client(target.context); // a broken context fails here, before listening
    this.starting.add(target);
    try {
      return await this.listen(target, localPort);
    } finally {
      this.starting.delete(target);
      this.demandAll();
    }
  }

  private async listen(target: PortForwardTarget, localPort: number): Promise<PortForwardInfo> {
    this.demandAll();
    // The pods (and the service) must be known to pick a pod and to notice it going away.
    for (const kind of target.kind === 'services' ? ['pods', 'services'] as const : ['pods'] as const) {
      if (!await this.session.whenSynced(target.context, kind, target.namespace)) {
        const why = this.session.status(target.context, kind, target.namespace).error?.message ?? vscode.l10n.t('No answer from the API server yet.');
        throw new Error(vscode.l10n.t('Cannot forward: the {0} of namespace {1} cannot be watched ({2}).', kind, target.namespace, why));
      }
    }
    const f: Forward = { id: `pf-${nextId++}`, target, localPort, state: 'waiting', connections: 0, server: createServer(), sockets: new Set() };
    this.choosePod(f);
    if (target.kind === 'pods' && !f.pod) throw new Error(f.message);
    f.server.on('connection', (s) => this.connect(f, s));
    try {
      await new Promise<void>((resolve, reject) => {
        f.server.once('error', reject);
        f.server.listen(localPort, '127.0.0.1', () => { f.server.off('error', reject); resolve(); });
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(vscode.l10n.t('Local port {0} is already in use: choose another port, or 0 for any free port.', localPort));
      if ((e as NodeJS.ErrnoException).code === 'EACCES') throw new PortInUseError(vscode.l10n.t('Local port {0} may not be used by this user: choose a port above 1023, or 0 for any free port.', localPort));
      throw e;
    }
    f.localPort = (f.server.address() as { port: number }).port;
    this.forwards.set(f.id, f);
    this.log.info(`port-forward ${f.id}: 127.0.0.1:${f.localPort} -> ${target.context}/${target.namespace}/${target.kind}/${target.name}:${target.port} (pod ${f.pod ?? 'none yet'})`);
    this.fire();
    return this.info(f);
  }

  /** Stops a forward: its connections close and its local port is free when this resolves. */
  async stop(id: string): Promise<boolean> {
    const f = this.forwards.get(id);
    if (!f) return false;
    this.forwards.delete(id);
    await this.shut(f);
    this.log.info(`port-forward ${f.id} stopped (127.0.0.1:${f.localPort})`);
    this.demandAll();
    this.fire();
    return true;
  }

  private async shut(f: Forward): Promise<void> {
    for (const s of f.sockets) s.destroy();
    f.sockets.clear();
    if (f.server.listening) await new Promise<void>((r) => f.server.close(() => r()));
  }

  /** One local connection: one API stream to the current pod. */
  private connect(f: Forward, s: Socket): void {
    if (!f.pod || f.podPort === undefined || f.state !== 'active') { s.destroy(); return; }
    f.sockets.add(s);
    const [pod, port] = [f.pod, f.podPort];
    let stream: { write(d: Buffer): void; close(): void } | undefined;
    const pending: Buffer[] = [];
    s.on('data', (d: Buffer) => { if (stream) stream.write(d); else pending.push(d); });
    s.on('error', () => { /* close follows */ });
    s.on('close', () => { f.sockets.delete(s); stream?.close(); this.fire(); });
    this.fire();
    void (async () => {
      try {
        const k8s = await this.session.modules();
        const client = await this.session.client(f.target.context);
        const st = await k8s.portforward.openPortForward(client, f.target.namespace, pod, port, (d) => s.write(d));
        if (s.destroyed) { st.close(); return; }
        stream = st;
        for (const d of pending.splice(0)) st.write(d);
        const end = await st.closed;
        if (end.error) this.log.warn(`port-forward ${f.id} (pod ${pod}): ${end.error}`);
        s.end();
      } catch (e) {
        this.log.warn(`port-forward ${f.id}: connection to pod ${pod} failed: ${(e as Error).message}`);
        s.destroy();
      }
    })();
  }

  /** After watch changes: forwarded pods that went away end (pods) or are replaced (services). */
  private reconcile(): void {
    let any = false;
    for (const f of this.forwards.values()) {
      if (f.state === 'ended') continue;
      const before = `${f.state}/${f.pod}/${f.podPort}/${f.message}`;
      this.choosePod(f);
      if (f.target.kind === 'pods' && !f.pod) {
        f.state = 'ended';
        void this.shut(f); // the local port is freed; the row stays, saying why, until stopped
        this.log.warn(`port-forward ${f.id}: ${f.message}`);
      }
      if (before !== `${f.state}/${f.pod}/${f.podPort}/${f.message}`) any = true;
    }
    if (any) { this.demandAll(); this.fire(); }
  }

  /** Sets pod, podPort, state and message of a forward from the watch caches. */
  private choosePod(f: Forward): void {
    const { context, namespace, kind, name, port } = f.target;
    const pods = this.session.objects(context, 'pods', namespace);
    if (kind === 'pods') {
      const pod = pods.find((p) => p.metadata.name === name && !p.metadata.deletionTimestamp);
      if (!pod) { f.pod = undefined; f.message = vscode.l10n.t('Pod {0}/{1} is gone: the forward has ended.', namespace, name); return; }
      if (!isRunning(pod)) { f.pod = undefined; f.message = vscode.l10n.t('Pod {0}/{1} is not running.', namespace, name); return; }
      f.pod = name; f.podPort = port; f.state = 'active'; f.message = undefined;
      return;
    }
    const svc = this.session.object(context, 'services', namespace, name);
    const spec = (svc?.spec ?? {}) as { selector?: Record<string, string>; ports?: ServicePort[] };
    const sp = spec.ports?.find((p) => p.port === port);
    const selector = Object.entries(spec.selector ?? {});
    const problem = !svc ? vscode.l10n.t('Service {0}/{1} is gone.', namespace, name)
      : !sp ? vscode.l10n.t('Service {0}/{1} has no port {2}.', namespace, name, port)
        : !selector.length ? vscode.l10n.t('Service {0}/{1} has no selector: no pod to forward to.', namespace, name) : undefined;
    const pod = problem ? undefined : pickPod(pods, spec.selector ?? {}, f.pod);
    if (!pod) {
      if (f.pod) this.log.warn(`port-forward ${f.id}: pod ${f.pod} went away; no ready pod behind service ${namespace}/${name}`);
      f.pod = undefined; f.podPort = undefined; f.state = 'waiting';
      f.message = problem ?? vscode.l10n.t('No ready pod behind service {0}/{1}: waiting for one.', namespace, name);
      return;
    }
    if (f.pod && f.pod !== pod.metadata.name) this.log.info(`port-forward ${f.id}: pod ${f.pod} went away; now ${pod.metadata.name}`);
    f.pod = pod.metadata.name;
    f.podPort = targetPort(pod, sp!);
    f.state = 'active';
    f.message = undefined;
  }

  private demandAll(): void {
    this.demand([...[...this.forwards.values()].filter((f) => f.state !== 'ended').map((f) => f.target), ...this.starting]);
  }

  /** Watches pods (and services) of every forwarded namespace, for as long as a forward lives. */
  private demand(targets: PortForwardTarget[]): void {
    const seen = new Set<string>();
    const out: { context: string; kind: 'pods' | 'services'; namespace: string }[] = [];
    for (const t of targets) {
      for (const kind of t.kind === 'services' ? ['pods', 'services'] as const : ['pods'] as const) {
        const k = `${t.context}\n${kind}\n${t.namespace}`;
        if (!seen.has(k)) { seen.add(k); out.push({ context: t.context, kind, namespace: t.namespace }); }
      }
    }
    this.session.setDemand('port-forwards', out);
  }

  private fire(): void {
    this.changed.fire(this.list());
  }

  dispose(): void {
    this.sub.dispose();
    for (const f of this.forwards.values()) void this.shut(f);
    this.forwards.clear();
    this.session.setDemand('port-forwards', []);
    this.changed.dispose();
  }
}
