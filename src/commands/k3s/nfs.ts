// "Set Up NFS Storage" on a K3s cluster Homelab bootstrapped: the NFS CSI driver (pinned manifests
// of resources/k8s/storage), a StorageClass `nfs` on the template's export, then a test claim that
// must bind and is deleted again. A cluster with no Ready node gets the driver and the class and a
// clear message that the test was skipped.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../providers/kubernetes/resources';
import { CancelledError } from '../../providers/cancellation';
import { settings } from '../../services/settings';
import type { CommandRegistry } from '../registry';
import { resolveK3sTarget, type K3sDeps } from './target';

export interface NfsResult {
  applied: string;
  check: 'bound' | 'skipped-no-ready-node';
}

async function setUpNfs(deps: K3sDeps & { storageManifestsDir: string }, arg: unknown): Promise<NfsResult> {
  const t = await resolveK3sTarget(deps, arg);
  const rec = t.file.k3s;
  if (!rec) throw new Error(vscode.l10n.t('K3s is not set up on {0} yet: run "Bootstrap Kubernetes (K3s)" first.', t.name));
  const server = settings.get('nix.nfsServer').trim();
  const share = settings.get('nix.nfsExport').trim();
  if (!server || !share) throw new Error(vscode.l10n.t('The template has no NFS settings: set homelab.nix.nfsServer and homelab.nix.nfsExport (the export the template mounts), then run this again.'));
  const { checkNfsExport, nfsStorageClass } = await import('../../providers/k3s/nfs');
  const bad = checkNfsExport(server, share);
  if (bad) throw new Error(bad);
  const { applyPath, applyObject, applySummary } = await import('../../providers/kubernetes/actions');
  const client = await deps.kubernetes.client(rec.context);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Setting up NFS storage on {0}…', t.name), cancellable: true }, async (progress, token) => {
    progress.report({ message: vscode.l10n.t('NFS CSI driver') });
    const results = [...await applyPath(client, deps.storageManifestsDir), await applyObject(client, nfsStorageClass(server, share), {}, 'StorageClass nfs')];
    const summary = applySummary(results);
    deps.log.info(`k3s ${t.name}: NFS storage\n${summary}`);
    const failed = results.filter((r) => r.outcome === 'failed');
    if (failed.length) throw new Error(vscode.l10n.t('NFS storage on {0}: {1} objects could not be applied: {2}', t.name, failed.length, failed.map((r) => `${r.kind}/${r.name}: ${r.error?.message}`).join('; ')));
    const nodes = (await client.request<{ items: KubeObject[] }>('GET', '/api/v1/nodes')).items;
    const ready = nodes.filter((n) => (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
    if (!ready.length) {
      void vscode.window.showWarningMessage(vscode.l10n.t('The NFS driver and StorageClass "nfs" are set up on {0}, but no node is Ready, so no test volume was made. Start the cluster\'s VMs and run "Set Up NFS Storage" again to prove it.', t.name));
      return { applied: summary, check: 'skipped-no-ready-node' };
    }
    progress.report({ message: vscode.l10n.t('test claim') });
    const name = `homelab-nfs-check-${randomBytes(3).toString('hex')}`;
    const ns = 'default';
    await client.request('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, { body: {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: ns },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: 'nfs', resources: { requests: { storage: '1Mi' } } },
    } });
    try {
      await waitBound(client, ns, name, token, 180_000);
    } finally {
      await client.request('DELETE', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`).catch(() => undefined);
    }
    void vscode.window.showInformationMessage(vscode.l10n.t('NFS storage works on {0}: a test claim of StorageClass "nfs" was bound and deleted.', t.name));
    return { applied: summary, check: 'bound' };
  });
}

/** Watches the claim until it is Bound (one list, then events). */
async function waitBound(client: import('../../providers/kubernetes/client').KubeClient, ns: string, name: string, token: vscode.CancellationToken, timeoutMs: number): Promise<void> {
  const { Informer } = await import('../../providers/kubernetes/informer');
  const { KINDS } = await import('../../providers/kubernetes/resources');
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => { clearTimeout(timer); sub.dispose(); informer.stop(); if (err) reject(err); else resolve(); };
    const check = () => { if (informer.get(name, ns)?.status?.phase === 'Bound') done(); };
    const informer = new Informer({ client, kind: KINDS.persistentvolumeclaims, namespace: ns, onBatch: check });
    const timer = setTimeout(() => done(new Error(vscode.l10n.t('The test claim {0} was not bound within {1} s: look at its events (the NFS server must export {2} to the nodes, read-write, with no_root_squash).', name, Math.round(timeoutMs / 1000), settings.get('nix.nfsExport')))), timeoutMs);
    const sub = token.onCancellationRequested(() => done(new CancelledError()));
    informer.start();
  });
}

export function registerK3sNfsCommand(registry: CommandRegistry, deps: K3sDeps & { storageManifestsDir: string }): void {
  registry.register('homelab.k3s.setUpNfs', (arg: unknown) => setUpNfs(deps, arg));
}
