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
  /** applySummary of what was applied (one line per object). */
  applied: string;
  objects: Array<{ kind: string; name: string; namespace?: string; outcome: string }>;
  check: 'bound' | 'skipped-no-ready-node';
  /** What the user was shown. */
  message: string;
}

type Client = import('../../providers/kubernetes/client').KubeClient;

async function setUpNfs(deps: K3sDeps & { storageManifestsDir: string }, arg: unknown): Promise<NfsResult> {
  const t = await resolveK3sTarget(deps, arg);
  const rec = t.file.k3s;
  if (!rec) throw new Error(vscode.l10n.t('K3s is not set up on {0} yet: run "Bootstrap Kubernetes (K3s)" first.', t.name));
  const server = settings.get('nix.nfsServer').trim();
  const share = settings.get('nix.nfsExport').trim();
  if (!server || !share) throw new Error(vscode.l10n.t('The template has no NFS settings: set homelab.nix.nfsServer and homelab.nix.nfsExport (the export the template mounts), then run this again.'));
  const { checkNfsExport, nfsStorageClass, NFS_PROVISIONER } = await import('../../providers/k3s/nfs');
  const bad = checkNfsExport(server, share);
  if (bad) throw new Error(bad);
  // Everything Kubernetes from the kubernetes bundle (dist/kubernetes.js), the one the session's
  // clients come from: a second copy's KubeError is not instanceof, so "not found" went unrecognised.
  const kube = await import('../../providers/kubernetes');
  const { applyPath, applyObject, applySummary } = kube.actions;
  const client = await deps.kubernetes.client(rec.context);
  // A StorageClass's parameters cannot change (the apiserver refuses with 422): a changed export is
  // said before anything is applied, with what to do.
  const { isKubeError } = kube.errors;
  const existing = await client.request<KubeObject>('GET', '/apis/storage.k8s.io/v1/storageclasses/nfs').catch((e: unknown) => { if (isKubeError(e, 'notFound')) return undefined; throw e; });
  const was = existing?.parameters as { server?: string; share?: string } | undefined;
  if (existing && (existing.provisioner !== NFS_PROVISIONER || was?.server !== server || was?.share !== share)) {
    throw new Error(vscode.l10n.t('StorageClass "nfs" on {0} already points at {1} ({2}), not at the template\'s export {3}:{4}. A StorageClass cannot be changed: delete it (volumes made from it keep their export), then run this again.', t.name, `${was?.server ?? '?'}:${was?.share ?? '?'}`, String(existing.provisioner), server, share));
  }
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Setting up NFS storage on {0}…', t.name), cancellable: true }, async (progress, token) => {
    progress.report({ message: vscode.l10n.t('NFS CSI driver') });
    const results = [...await applyPath(client, deps.storageManifestsDir), await applyObject(client, nfsStorageClass(server, share), {}, 'StorageClass nfs')];
    const summary = applySummary(results);
    deps.log.info(`k3s ${t.name}: NFS storage\n${summary}`);
    const objects = results.map((r) => ({ kind: r.kind, name: r.name, namespace: r.namespace, outcome: r.outcome }));
    const failed = results.filter((r) => r.outcome === 'failed');
    if (failed.length) throw new Error(vscode.l10n.t('NFS storage on {0}: {1} objects could not be applied: {2}', t.name, failed.length, failed.map((r) => `${r.kind}/${r.name}: ${r.error?.message}`).join('; ')));
    const count = (o: string) => results.filter((r) => r.outcome === o).length;
    const tally = vscode.l10n.t('{0} created, {1} configured, {2} unchanged', count('created'), count('configured'), count('unchanged'));
    // The proof needs a node that runs the driver's pods; without one the claim could never bind.
    const nodes = (await client.request<{ items: KubeObject[] }>('GET', '/api/v1/nodes')).items;
    const ready = nodes.filter((n) => (n.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True'));
    if (!ready.length) {
      const message = vscode.l10n.t('The NFS driver and StorageClass "nfs" are set up on {0} ({1}), but no node is Ready ({2}), so the test claim was skipped. Start the cluster\'s VMs and run "Set Up NFS Storage" again to prove it.', t.name, tally, nodes.length ? vscode.l10n.t('{0} nodes, none Ready', nodes.length) : vscode.l10n.t('no nodes'));
      void vscode.window.showWarningMessage(message);
      return { applied: summary, objects, check: 'skipped-no-ready-node', message };
    }
    if (token.isCancellationRequested) throw new CancelledError();
    progress.report({ message: vscode.l10n.t('test claim') });
    const name = `homelab-nfs-check-${randomBytes(3).toString('hex')}`;
    const ns = 'default';
    await client.request('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, { body: {
      apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'homelab' } },
      spec: { accessModes: ['ReadWriteMany'], storageClassName: 'nfs', resources: { requests: { storage: '1Mi' } } },
    } });
    const timeoutMs = deps.tuning.nfsBindTimeoutMs ?? 180_000;
    let bound: boolean;
    let lastEvent = '';
    try {
      bound = await waitBound(client, ns, name, token, timeoutMs);
      if (!bound) lastEvent = await claimEvents(client, ns, name);
    } finally {
      // the test claim never outlives the command (bound, timed out or cancelled)
      await client.request('DELETE', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`).catch((e: Error) => deps.log.warn(`k3s ${t.name}: could not delete the test claim ${ns}/${name}: ${e.message}`));
    }
    if (!bound) {
      throw new Error(vscode.l10n.t('NFS storage on {0}: the driver and StorageClass "nfs" are applied ({1}), but a test claim of StorageClass "nfs" was not bound within {2} s ({3}); it was deleted again. Check that the driver\'s pods run in kube-system (Deployment csi-nfs-controller, DaemonSet csi-nfs-node, provisioner {4}) and that {5}:{6} is exported to the nodes read-write with no_root_squash.',
        t.name, tally, Math.round(timeoutMs / 1000), lastEvent || vscode.l10n.t('no events'), NFS_PROVISIONER, server, share));
    }
    const message = vscode.l10n.t('NFS storage works on {0} ({1}): a test claim of StorageClass "nfs" was bound and deleted.', t.name, tally);
    void vscode.window.showInformationMessage(message);
    return { applied: summary, objects, check: 'bound', message };
  });
}

/** Watches the claim until it is Bound (one list, then events); false when the time is up. */
async function waitBound(client: Client, ns: string, name: string, token: vscode.CancellationToken, timeoutMs: number): Promise<boolean> {
  const { informer: { Informer }, resources: { KINDS } } = await import('../../providers/kubernetes');
  return new Promise<boolean>((resolve, reject) => {
    const done = (v: boolean | Error) => { clearTimeout(timer); sub.dispose(); informer.stop(); if (v instanceof Error) reject(v); else resolve(v); };
    const check = () => { if (informer.get(name, ns)?.status?.phase === 'Bound') done(true); };
    const informer = new Informer({ client, kind: KINDS.persistentvolumeclaims, namespace: ns, onBatch: check });
    const timer = setTimeout(() => done(false), timeoutMs);
    const sub = token.onCancellationRequested(() => done(new CancelledError()));
    informer.start();
  });
}

/** The claim's latest event ("reason: message"), what a user would see in `kubectl describe pvc`. */
async function claimEvents(client: Client, ns: string, name: string): Promise<string> {
  try {
    const list = await client.request<{ items: Array<{ reason?: string; message?: string; lastTimestamp?: string; eventTime?: string; metadata?: { creationTimestamp?: string } }> }>('GET', `/api/v1/namespaces/${ns}/events`, { query: { fieldSelector: `involvedObject.kind=PersistentVolumeClaim,involvedObject.name=${name}` } });
    const at = (e: (typeof list.items)[number]) => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';
    const last = [...list.items].sort((a, b) => at(a).localeCompare(at(b))).pop();
    return last ? `${last.reason ?? ''}: ${last.message ?? ''}` : '';
  } catch {
    return '';
  }
}

export function registerK3sNfsCommand(registry: CommandRegistry, deps: K3sDeps & { storageManifestsDir: string }): void {
  registry.register('homelab.k3s.setUpNfs', (arg: unknown) => setUpNfs(deps, arg));
}
