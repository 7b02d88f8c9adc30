import * as vscode from 'vscode';
import type { KubernetesCommandDeps } from './deps';
import { kindLabel, liveObject, objectArg } from './deps';

/** Scale, rollout restart and delete of the object an item shows. */
export function registerWorkloadCommands(deps: KubernetesCommandDeps): void {
  const { registry, session, prompts } = deps;

  registry.register('homelab.kubernetes.scale', async (arg?: unknown) => {
    const e = objectArg(arg, ['deployments', 'statefulsets'], deps.view.selection);
    const k8s = await session.modules();
    const obj = liveObject(deps, e);
    const kind = await kindLabel(deps, e);
    const validate = (v: string) => {
      try { k8s.actions.parseReplicas(v); return undefined; } catch (err) { return (err as Error).message; }
    };
    const answer = await prompts.input({
      title: vscode.l10n.t('Scale {0} {1}/{2}', kind, e.namespace, e.name),
      prompt: vscode.l10n.t('Number of replicas (0-{0})', k8s.actions.MAX_REPLICAS),
      value: String(obj.spec?.replicas ?? 1),
      validateInput: validate,
    });
    const n = await k8s.actions.scale(await session.client(e.context), e.resource as 'deployments' | 'statefulsets', e.namespace, e.name, answer);
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} {1}/{2} scaled to {3}', kind, e.namespace, e.name, n));
    return n;
  });

  registry.register('homelab.kubernetes.restart', async (arg?: unknown) => {
    const e = objectArg(arg, ['deployments', 'statefulsets', 'daemonsets'], deps.view.selection);
    const k8s = await session.modules();
    const kind = await kindLabel(deps, e);
    const obj = await k8s.actions.restart(await session.client(e.context), e.resource as 'deployments', e.namespace, e.name);
    void vscode.window.showInformationMessage(vscode.l10n.t('Rollout restart of {0} {1}/{2} started', kind, e.namespace, e.name));
    return obj.spec?.template?.metadata?.annotations?.[k8s.actions.RESTARTED_AT] as string | undefined;
  });

  registry.register('homelab.kubernetes.delete', async (arg?: unknown) => {
    const e = objectArg(arg, undefined, deps.view.selection);
    const k8s = await session.modules();
    const kind = await kindLabel(deps, e);
    // The version the user saw: if someone changes the object meanwhile, the server refuses (409).
    const seen = session.object(e.context, e.resource, e.namespace, e.name)?.metadata.resourceVersion;
    const del = vscode.l10n.t('Delete');
    await prompts.confirm(
      vscode.l10n.t('Delete {0} {1}/{2}?', kind, e.namespace, e.name),
      vscode.l10n.t('Context "{0}". This cannot be undone.', e.context),
      del,
    );
    await k8s.actions.remove(await session.client(e.context), e.resource, e.namespace, e.name, { resourceVersion: seen });
    void vscode.window.showInformationMessage(vscode.l10n.t('{0} {1}/{2} deleted', kind, e.namespace, e.name));
  });
}
