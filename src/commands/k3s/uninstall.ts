// "Uninstall K3s" (asks first): the module import and the node file go, every node rebuilds
// (workers first, control planes last, one at a time), the token file goes; then the kubeconfig
// entry Homelab wrote is removed, the k3s section leaves the cluster file, and the token leaves
// SecretStorage. K3s' own data (/var/lib/rancher/k3s) stays on the nodes: Homelab never wipes it.
import * as vscode from 'vscode';
import type { NodeProgress } from '../../providers/k3s/engine';
import { CancelledError } from '../../providers/cancellation';
import { settings } from '../../services/settings';
import { DeployTerminal } from '../../views/terminals/deploy-terminal';
import { reportActivity } from '../proxmox/operation';
import type { CommandRegistry } from '../registry';
import { withCancellableProgress } from './bootstrap';
import { removeStoredKubeconfig } from './kubeconfig';
import { nodeConnector, resolveK3sTarget, tokenKey, writeClusterFile, type K3sDeps } from './target';

export interface UninstallResult {
  status: 'uninstalled' | 'failed';
  progress: NodeProgress[];
  kubeconfigRemoved: boolean;
}

async function uninstall(deps: K3sDeps, arg: unknown): Promise<UninstallResult> {
  const t = await resolveK3sTarget(deps, arg);
  const rec = t.file.k3s;
  if (!rec) throw new Error(vscode.l10n.t('{0} records no K3s set up by Homelab: there is nothing Homelab installed to remove.', vscode.workspace.asRelativePath(t.uri)));
  const k3s = await import('../../providers/k3s');
  const { nodeInputs, withoutK3sSection } = await import('../../providers/k3s/cluster-file');
  const nodes = nodeInputs(t.file);
  const plan = k3s.planK3s({
    cluster: t.name, channel: k3s.isK3sChannel(rec.channel) ? rec.channel : '1.31', keep: rec.keep.filter((a) => (k3s.K3S_ADDONS as readonly string[]).includes(a)),
    clusterCidr: rec.clusterCidr || undefined, serviceCidr: rec.serviceCidr || undefined,
    api: rec.vip ? { kind: 'vip', address: rec.vip } : { kind: 'first-control-plane' }, apiPort: deps.tuning.apiPort ?? (Number(new URL(rec.apiUrl).port) || 6443),
    nodes: nodes.map((n) => ({ ...n, sshPort: deps.tuning.sshPort?.(n) ?? settings.get('ssh.port') })),
  });
  const yes = vscode.l10n.t('Uninstall K3s');
  await deps.prompts.confirm(
    vscode.l10n.t('Uninstall K3s on cluster {0}: remove Homelab\'s K3s module from its {1} nodes, rebuild them, and remove the context {2}?', t.name, plan.nodes.length, rec.context),
    [
      ...plan.nodes.map((n) => `${n.name}  ${n.role}  ${n.address}`),
      '',
      vscode.l10n.t('Workloads on the cluster stop. The context {0} is removed from {1}. K3s\' data (/var/lib/rancher/k3s) stays on the nodes.', rec.context, rec.kubeconfig),
    ].join('\n'),
    yes,
  );
  const connect = await nodeConnector(deps, t);
  const started = Date.now();
  const pty = new DeployTerminal<NodeProgress>(vscode.l10n.t('Uninstall K3s {0}', t.name), vscode.l10n.t('Uninstall K3s from {0}: {1} nodes', t.name, plan.nodes.length), (p) => k3s.statusTable(p));
  const { terminal } = deps.operations.terminals.create('task', pty, new vscode.ThemeIcon('trash'));
  terminal.show(true);
  const engine = new k3s.K3sUninstall(plan, {
    connect, root: deps.tuning.root, sudo: deps.tuning.sudo, parallelism: Math.max(1, settings.get('cluster.parallelism')),
    onProgress: (p) => {
      if (p.state === 'failed' || p.state === 'blocked') pty.line(`${p.node.name}: ${vscode.l10n.t('FAILED at {0}: {1}', p.step, p.message ?? '?')}`);
      pty.setProgress(engine.progress);
    },
    onLog: (node, line) => pty.line(`${node}: ${line}`),
  });
  pty.setProgress(engine.progress);
  const status = () => vscode.l10n.t('{0} of {1} nodes done', engine.progress.filter((p) => p.state === 'done').length, plan.nodes.length);
  let outcome = await withCancellableProgress(vscode.l10n.t('Uninstalling K3s from {0}…', t.name), pty, status, (signal) => engine.run(signal));
  while (!outcome.ok && !outcome.cancelled) {
    pty.flush();
    const retry = vscode.l10n.t('Retry Failed Nodes');
    const stop = vscode.l10n.t('Stop');
    let choice: string = stop;
    try {
      choice = await deps.prompts.confirm(vscode.l10n.t('Uninstall K3s from {0}: {1} nodes failed.', t.name, outcome.failed.length),
        outcome.failed.map((p) => `${p.node.name} — ${p.step}: ${(p.message ?? '').split('\n')[0]}`).join('\n'), retry, stop);
    } catch (e) {
      if (!(e instanceof CancelledError)) throw e;
    }
    if (choice === stop) break;
    outcome = await withCancellableProgress(vscode.l10n.t('Retrying…'), pty, status, (signal) => engine.run(signal));
  }
  pty.flush();
  const activity = (result: string) => reportActivity(deps, { what: vscode.l10n.t('Uninstall K3s from {0}', t.name), cluster: t.file.proxmoxCluster, target: rec.context, durationMs: Date.now() - started, result });
  if (!outcome.ok) {
    const text = outcome.cancelled ? vscode.l10n.t('cancelled') : vscode.l10n.t('{0} nodes failed', outcome.failed.length);
    pty.finish(text);
    await activity(text);
    if (outcome.cancelled) throw new CancelledError();
    throw new Error(vscode.l10n.t('Uninstall K3s from {0}: {1}. The kubeconfig entry and the cluster file were kept; run "Uninstall K3s" again to retry.', t.name, outcome.failed.map((p) => `${p.node.name}: ${(p.message ?? p.step).split('\n')[0]}`).join('; ')));
  }
  const removed = await removeStoredKubeconfig(deps, rec.storage, rec.context, rec.kubeconfig);
  await deps.kubernetes.refresh();
  const current = new TextDecoder().decode(await vscode.workspace.fs.readFile(t.uri));
  await writeClusterFile(t, withoutK3sSection(current));
  await deps.secrets.delete(tokenKey(t));
  const text = vscode.l10n.t('K3s removed from {0} nodes{1}', plan.nodes.length, removed ? vscode.l10n.t('; context {0} removed', rec.context) : '');
  pty.finish(text);
  await activity(text);
  void vscode.window.showInformationMessage(vscode.l10n.t('K3s was removed from {0}.', t.name));
  return { status: 'uninstalled', progress: engine.progress, kubeconfigRemoved: removed };
}

export function registerK3sUninstallCommand(registry: CommandRegistry, deps: K3sDeps): void {
  registry.register('homelab.k3s.uninstall', (arg: unknown) => uninstall(deps, arg));
}
