// Where the cluster's kubeconfig goes: Homelab's own 0600 file in the extension's storage (the
// default), or merged into the user's kubeconfig (atomic, with a backup). A context of that name
// that exists already is never replaced without asking. Either way the file joins the Kubernetes
// tree at once.
import * as vscode from 'vscode';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CancelledError } from '../../providers/cancellation';
import type { K3sDeps } from './target';

export type KubeconfigStorage = 'extension' | 'kubeconfig';

export const userKubeconfig = (deps: K3sDeps) => deps.tuning.userKubeconfig ?? join(homedir(), '.kube', 'config');
export const ownKubeconfig = (deps: K3sDeps, context: string) => join(deps.storageDir, 'kubeconfigs', `${context}.yaml`);

/** Writes the kubeconfig where the user chose; returns the file. Asks before replacing a context of that name. */
export async function storeKubeconfig(deps: K3sDeps, storage: KubeconfigStorage, context: string, kubeconfigYaml: string, log: (line: string) => void): Promise<string> {
  const k3s = await import('../../providers/k3s/kubeconfig');
  const { KubeconfigConflictError } = await import('../../providers/k3s/errors');
  if (storage === 'extension') {
    const path = ownKubeconfig(deps, context);
    // The same name in another file the tree reads would shadow or be shadowed by ours: ask.
    const other = (await deps.kubernetes.kubeconfig().catch(() => undefined))?.contexts.find((c) => c.name === context && c.file !== path);
    if (other) await askReplace(deps, context, other.file ?? '?', vscode.l10n.t('Homelab\'s own file would hold a second context of that name; the first file read wins.'));
    await k3s.writeStandaloneKubeconfig(path, kubeconfigYaml);
    log(vscode.l10n.t('Kubeconfig written to {0} (0600).', path));
    return path;
  }
  const path = userKubeconfig(deps);
  try {
    const r = await k3s.mergeKubeconfig(path, kubeconfigYaml, { setCurrent: false });
    log(vscode.l10n.t('Context {0} merged into {1}{2}.', context, path, r.backup ? vscode.l10n.t(' (backup: {0})', r.backup) : ''));
  } catch (e) {
    if (!(e instanceof KubeconfigConflictError)) throw e;
    await askReplace(deps, context, path, e.message);
    const r = await k3s.mergeKubeconfig(path, kubeconfigYaml, { replace: true });
    log(vscode.l10n.t('Context {0} replaced in {1} (backup: {2}).', context, path, r.backup ?? '-'));
  }
  return path;
}

async function askReplace(deps: K3sDeps, context: string, file: string, detail: string): Promise<void> {
  const replace = vscode.l10n.t('Replace');
  try {
    await deps.prompts.confirm(vscode.l10n.t('A context named "{0}" exists already in {1}. Replace it?', context, file), detail, replace);
  } catch (e) {
    if (e instanceof CancelledError) throw new Error(vscode.l10n.t('The kubeconfig was not stored: a context named "{0}" exists already in {1} and was kept. K3s runs; fetch the kubeconfig again with "Bootstrap Kubernetes (K3s)" once the name is free.', context, file));
    throw e;
  }
  if (file !== '?' && existsSync(file) && file !== userKubeconfig(deps)) {
    const k3s = await import('../../providers/k3s/kubeconfig');
    await k3s.removeKubeconfigEntries(file, context);
  }
}

/** Removes the context Homelab wrote (Uninstall): its own file goes, a merged entry is taken out (backup kept). */
export async function removeStoredKubeconfig(deps: K3sDeps, storage: KubeconfigStorage, context: string, path: string): Promise<boolean> {
  const k3s = await import('../../providers/k3s/kubeconfig');
  if (storage === 'extension') {
    const { rm } = await import('node:fs/promises');
    const there = existsSync(path);
    await rm(path, { force: true });
    await deps.kubeconfigs.remove(path);
    await deps.kubernetes.removeKubeconfigFile(path);
    return there;
  }
  return k3s.removeKubeconfigEntries(path, context);
}
