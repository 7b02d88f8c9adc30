// Which pod a port-forward goes to (pure: no vscode, unit-tested).
import type { KubeObject } from '../../providers/kubernetes/resources';

export interface ServicePort { port: number; targetPort?: number | string; name?: string }

export function isRunning(p: KubeObject): boolean {
  return (p.status as { phase?: string } | undefined)?.phase === 'Running';
}

/** Running, Ready=True and not being deleted: a pod a service would send traffic to. */
export function isReady(p: KubeObject): boolean {
  const st = p.status as { conditions?: { type: string; status: string }[] } | undefined;
  return !p.metadata.deletionTimestamp && isRunning(p) && !!st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * The ready pod behind a selector to forward to: the current one while it stays ready (open
 * connections keep their pod), else the first by name. An empty selector selects nothing.
 */
export function pickPod(pods: KubeObject[], selector: Record<string, string>, current?: string): KubeObject | undefined {
  const sel = Object.entries(selector);
  if (!sel.length) return undefined;
  const ready = pods.filter((p) => isReady(p) && sel.every(([k, v]) => p.metadata.labels?.[k] === v)).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return ready.find((p) => p.metadata.name === current) ?? ready[0];
}

/** The pod port a service port goes to: its targetPort (a number, or a container port's name), else the port itself. */
export function targetPort(pod: KubeObject, sp: ServicePort): number {
  if (typeof sp.targetPort === 'number') return sp.targetPort;
  if (typeof sp.targetPort === 'string' && /^\d+$/.test(sp.targetPort)) return Number(sp.targetPort);
  if (typeof sp.targetPort === 'string') {
    const containers = ((pod.spec as { containers?: { ports?: { name?: string; containerPort: number }[] }[] } | undefined)?.containers ?? []);
    const named = containers.flatMap((c) => c.ports ?? []).find((p) => p.name === sp.targetPort);
    if (named) return named.containerPort;
  }
  return sp.port;
}
