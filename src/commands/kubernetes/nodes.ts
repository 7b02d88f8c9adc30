// Cordon, uncordon and drain a node of the Nodes group. Drain asks first (naming the node and
// its pods), evicts through the Eviction API (PodDisruptionBudgets respected) under a cancellable
// progress with a timeout, and reports what could not be evicted and why.
import * as vscode from 'vscode';
import type { DrainReport } from '../../providers/kubernetes/nodes';
import type { KubernetesSession } from '../../services/kubernetes';
import type { CommandRegistry } from '../registry';
import type { Prompts } from '../prompts';

export interface NodeCommandDeps {
  registry: CommandRegistry;
  session: KubernetesSession;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  /** Test knobs (K3sTuning): drain budget and the pause between refused evictions. */
  tuning: { drainTimeoutMs?: number; drainRetryMs?: number };
}

interface NodeTarget { context: string; name: string }

function target(arg: unknown): NodeTarget {
  const e = arg as { kind?: string; context?: unknown; name?: unknown } | undefined;
  if (!e || typeof e.context !== 'string' || typeof e.name !== 'string') throw new Error(vscode.l10n.t('Choose a node in the Nodes group of the Kubernetes view.'));
  return { context: e.context, name: e.name };
}

async function cordon(deps: NodeCommandDeps, arg: unknown, on: boolean): Promise<void> {
  const t = target(arg);
  const { setUnschedulable } = await import('../../providers/kubernetes/nodes');
  await setUnschedulable(await deps.session.client(t.context), t.name, on);
  deps.log.info(`kubernetes ${t.context}: node ${t.name} ${on ? 'cordoned' : 'uncordoned'}`);
}

async function drain(deps: NodeCommandDeps, arg: unknown): Promise<DrainReport> {
  const t = target(arg);
  const client = await deps.session.client(t.context);
  const { drainNode } = await import('../../providers/kubernetes/nodes');
  const pods = (await client.request<{ items: Array<{ metadata: { namespace?: string; name: string } }> }>('GET', '/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${t.name}` } })).items;
  const yes = vscode.l10n.t('Drain');
  await deps.prompts.confirm(
    vscode.l10n.t('Drain node "{0}" of {1}: cordon it and evict its {2} pods?', t.name, t.context, pods.length),
    [...pods.slice(0, 20).map((p) => `${p.metadata.namespace}/${p.metadata.name}`), ...(pods.length > 20 ? ['…'] : []), '',
      vscode.l10n.t('Pods are evicted through the Eviction API: PodDisruptionBudgets are respected, DaemonSet and static pods stay. The node stays cordoned until you uncordon it.')].join('\n'),
    yes,
  );
  const timeoutMs = deps.tuning.drainTimeoutMs ?? 120_000;
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Draining {0}…', t.name), cancellable: true }, (progress, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    return drainNode(client, t.name, {
      timeoutMs, retryMs: deps.tuning.drainRetryMs, signal: ac.signal,
      onPod: (pod, state) => progress.report({ message: `${pod}: ${state}` }),
    }).finally(() => sub.dispose());
  });
  deps.log.info(`kubernetes ${t.context}: drained ${t.name}: ${report.evicted.length} evicted, ${report.notEvicted.length} not evicted, ${report.skipped.length} skipped`);
  if (report.notEvicted.length || report.stillTerminating.length) {
    const lines = [
      ...report.notEvicted.map((p) => vscode.l10n.t('{0} could not be evicted: {1}', p.pod, p.why)),
      ...report.stillTerminating.map((p) => vscode.l10n.t('{0} is still terminating', p)),
    ];
    void vscode.window.showWarningMessage(vscode.l10n.t('Drain of {0} incomplete after {1} s: {2} pods evicted, {3} not evicted.', t.name, Math.round(timeoutMs / 1000), report.evicted.length, report.notEvicted.length) + ' ' + lines.slice(0, 5).join(' · '));
  } else {
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} is drained: {1} pods evicted, {2} DaemonSet or static pods left.', t.name, report.evicted.length, report.skipped.length));
  }
  return report;
}

export function registerNodeCommands(deps: NodeCommandDeps): void {
  deps.registry.register('homelab.kubernetes.cordonNode', (arg: unknown) => cordon(deps, arg, true));
  deps.registry.register('homelab.kubernetes.uncordonNode', (arg: unknown) => cordon(deps, arg, false));
  deps.registry.register('homelab.kubernetes.drainNode', (arg: unknown) => drain(deps, arg));
}
