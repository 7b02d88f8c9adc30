import * as vscode from 'vscode';
import { settings } from '../../services/settings';
import type { KubeElement } from '../../views/kubernetes/elements';
import type { KubernetesCommandDeps } from './deps';

/** Contexts and namespaces: refresh, switch the current context, filter namespaces. */
export function registerContextCommands(deps: KubernetesCommandDeps): void {
  const { registry, session, prompts } = deps;
  registry.register('homelab.kubernetes.refresh', () => session.refresh());

  registry.register('homelab.kubernetes.useContext', async (e?: KubeElement) => {
    const cfg = await session.kubeconfig();
    let name = e?.kind === 'context' ? e.context : undefined;
    if (!name) {
      if (!cfg.contexts.length) throw new Error(vscode.l10n.t('No Kubernetes context found in {0}.', cfg.files.join(', ')));
      const picked = await prompts.pick(
        cfg.contexts.map((c) => ({ label: c.name, description: c.name === cfg.currentContext ? vscode.l10n.t('current') : c.server, detail: c.error?.message })),
        { title: vscode.l10n.t('Switch Kubernetes context') },
      );
      name = picked.label;
    }
    const file = await session.useContext(name);
    void vscode.window.showInformationMessage(vscode.l10n.t('Current Kubernetes context: {0} (written to {1})', name, file));
    return name;
  });

  // Per context: each kind across all namespaces (one list and one watch per kind), or namespace by namespace.
  registry.register('homelab.kubernetes.toggleAllNamespaces', async (e?: KubeElement) => {
    const context = e?.kind === 'context' ? e.context : (await session.kubeconfig()).currentContext;
    if (!context) throw new Error(vscode.l10n.t('No current Kubernetes context: switch to one first.'));
    const now = settings.get('kubernetes.allNamespaces');
    const on = !now.includes(context);
    const next = on ? [...now, context] : now.filter((c) => c !== context);
    await settings.update('kubernetes.allNamespaces', next.length ? next : undefined);
    return on;
  });

  registry.register('homelab.kubernetes.filterNamespaces', async (e?: KubeElement) => {
    const cfg = await session.kubeconfig();
    const context = e?.kind === 'context' ? e.context : cfg.currentContext;
    const current = settings.get('kubernetes.namespaceFilter');
    let names: string[] = [...current];
    if (context) {
      try {
        const k8s = await session.modules();
        const client = await session.client(context);
        const list = await client.request<{ items: { metadata: { name: string } }[] }>('GET', k8s.resources.collectionPath('namespaces'));
        names = [...new Set([...list.items.map((n) => n.metadata.name), ...current])].sort();
      } catch (err) {
        deps.log.warn(`namespaces of ${context}: ${(err as Error).message}`);
      }
    }
    // An empty picker says nothing: say why there is nothing to pick.
    if (!context && !names.length) {
      throw new Error(vscode.l10n.t('No Kubernetes context: the namespace filter lists the namespaces of the current context. Add a kubeconfig first (setting homelab.kubernetes.kubeconfig, KUBECONFIG or ~/.kube/config).'));
    }
    if (!names.length) throw new Error(vscode.l10n.t('No namespaces could be read from {0}: see the Homelab log for why.', context!));
    const picked = await prompts.pickMany(
      names.map((n) => ({ label: n, picked: current.includes(n) })),
      { title: vscode.l10n.t('Namespaces to show (none picked = all)'), canPickMany: true },
    );
    const next = picked.map((p) => p.label);
    await settings.update('kubernetes.namespaceFilter', next.length ? next : undefined);
    return next;
  });
}
