import * as vscode from 'vscode';
import { CancelledError } from '../../providers/cancellation';
import type { AppDetail, AppRef } from '../../providers/kubernetes/applications';
import type { KubeObject } from '../../providers/kubernetes/resources';
import type { RolloutStatus } from '../../providers/kubernetes/rollout';
import { settings } from '../../services/settings';
import { K8sAppLogsTerminal } from '../../views/terminals/k8s-app-logs-terminal';
import type { KubernetesCommandDeps } from './deps';

/** The application a command acts on: the row (an application or one of its parts), else the selection, else a pick. */
async function appArg(deps: KubernetesCommandDeps, arg: unknown, title: string): Promise<AppRef> {
  const fromEl = (x: unknown): AppRef | undefined => {
    const e = x as { kind?: string; context?: string; namespace?: string; name?: string; app?: string } | undefined;
    if (e?.kind === 'app' && e.context && e.namespace && e.name) return { context: e.context, namespace: e.namespace, name: e.name };
    if (e?.kind === 'appPart' && e.context && e.namespace && e.app) return { context: e.context, namespace: e.namespace, name: e.app };
    return undefined;
  };
  const direct = fromEl(arg) ?? (arg === undefined && deps.view.selection.length === 1 ? fromEl(deps.view.selection[0]) : undefined);
  if (direct) return direct;
  // From the palette: the applications of every context that answers, in one pick.
  const k8s = await deps.session.modules();
  const cfg = await deps.session.kubeconfig();
  const items: (vscode.QuickPickItem & { ref: AppRef; id: string })[] = [];
  const errors: string[] = [];
  await Promise.all(cfg.contexts.filter((c) => !c.error).map(async (c) => {
    try {
      const client = await deps.session.client(c.name);
      for (const a of await k8s.applications.fetchApplications(client)) {
        items.push({ label: a.name, description: `${c.name} · ${a.namespace}`, detail: k8s.applications.applicationLine(a), ref: { context: c.name, namespace: a.namespace, name: a.name }, id: `${c.name}/${a.namespace}/${a.name}` });
      }
    } catch (e) {
      errors.push(`${c.name}: ${(e as Error).message}`);
    }
  }));
  if (!items.length) throw new Error(errors.length ? vscode.l10n.t('No application found; {0}', errors.join('; ')) : vscode.l10n.t('No application found: no workload is labelled app.kubernetes.io/part-of.'));
  items.sort((a, b) => (a.description ?? '').localeCompare(b.description ?? '') || a.label.localeCompare(b.label));
  return (await deps.prompts.pick(items, { title, placeHolder: vscode.l10n.t('Application') })).ref;
}

/** The web Deployment of an application (scale, image, restart and logs act on it). */
async function webOf(deps: KubernetesCommandDeps, ref: AppRef): Promise<{ detail: AppDetail; web: KubeObject }> {
  const k8s = await deps.session.modules();
  const client = await deps.session.client(ref.context);
  const detail = await k8s.applications.fetchApplication(client, ref);
  if (!detail.web) throw new Error(vscode.l10n.t('Application {0} in {1} has no web Deployment (component web).', ref.name, ref.namespace));
  const web = await client.request<KubeObject>('GET', k8s.resources.objectPath('deployments', ref.namespace, detail.web));
  return { detail, web };
}

/**
 * Runs a change and follows the rollout it causes to the end in a cancellable notification;
 * a failed rollout (ProgressDeadlineExceeded ...) is an error naming the reason.
 */
async function followRollout(deps: KubernetesCommandDeps, ref: AppRef, deployment: string, title: string, change: () => Promise<unknown>): Promise<RolloutStatus> {
  const k8s = await deps.session.modules();
  const client = await deps.session.client(ref.context);
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
    const ac = new AbortController();
    const sub = token.onCancellationRequested(() => ac.abort());
    try {
      await change();
      deps.log.info(`${title}: following the rollout of deployment ${ref.namespace}/${deployment}`);
      const final = await k8s.rollout.waitForRollout(client, ref.namespace, 'deployments', deployment, {
        signal: ac.signal,
        onProgress: (s) => { progress.report({ message: s.message }); deps.log.info(`${ref.namespace}/${deployment}: ${s.message}`); },
      });
      return final;
    } catch (e) {
      if (ac.signal.aborted) throw new CancelledError(vscode.l10n.t('Stopped following the rollout; it goes on in the cluster.'));
      if (k8s.rollout.isRolloutError(e)) throw new Error(vscode.l10n.t('The rollout of {0}/{1} failed ({2}): {3}', ref.namespace, deployment, e.reason, e.message));
      throw e;
    } finally {
      sub.dispose();
    }
  });
}

/** Logs of all pods, scale, set image, restart and open URL of an application. */
export function registerApplicationCommands(deps: KubernetesCommandDeps): void {
  const { registry, session, prompts } = deps;
  const t = vscode.l10n.t;

  registry.register('homelab.kubernetes.app.logs', async (arg?: unknown) => {
    const ref = await appArg(deps, arg, t('Application Logs'));
    const { web } = await webOf(deps, ref);
    const k8s = await session.modules();
    const pty = new K8sAppLogsTerminal({ client: await session.client(ref.context), namespace: ref.namespace, app: ref.name, workload: web, tailLines: settings.get('kubernetes.logTailLines') }, k8s.appLogs.followWorkloadLogs, k8s.actions.streamLogs);
    const terminal = vscode.window.createTerminal({ name: t('Logs: {0}', `${ref.name} (${ref.namespace})`), pty, iconPath: new vscode.ThemeIcon('output') });
    terminal.show();
    return pty;
  });

  registry.register('homelab.kubernetes.app.scale', async (arg?: unknown) => {
    const ref = await appArg(deps, arg, t('Scale Application'));
    const { web } = await webOf(deps, ref);
    const k8s = await session.modules();
    const answer = await prompts.input({
      title: t('Scale {0} ({1})', ref.name, ref.namespace),
      prompt: t('Replicas of Deployment {0} (0-{1})', web.metadata.name, k8s.actions.MAX_REPLICAS),
      value: String(web.spec?.replicas ?? 1),
      validateInput: (v) => { try { k8s.actions.parseReplicas(v); return undefined; } catch (err) { return (err as Error).message; } },
    });
    const client = await session.client(ref.context);
    const final = await followRollout(deps, ref, web.metadata.name, t('Scaling {0} to {1}…', ref.name, answer.trim()), () => k8s.actions.scale(client, 'deployments', ref.namespace, web.metadata.name, answer));
    void vscode.window.showInformationMessage(t('{0} ({1}) scaled: {2} of {3} replicas available', ref.name, ref.namespace, final.available, final.desired));
    return final;
  });

  registry.register('homelab.kubernetes.app.setImage', async (arg?: unknown) => {
    const ref = await appArg(deps, arg, t('Set Application Image'));
    const { web } = await webOf(deps, ref);
    const k8s = await session.modules();
    const containers = k8s.rollout.templateImages(web);
    const container = containers.length > 1
      ? (await prompts.pick(containers.map((c) => ({ label: c.name, description: c.image })), { title: t('Set image of {0}: container', ref.name) })).label
      : containers[0]?.name;
    if (!container) throw new Error(t('Deployment {0} has no container.', web.metadata.name));
    const current = containers.find((c) => c.name === container)?.image ?? '';
    const image = (await prompts.input({
      title: t('Set image of {0} ({1})', ref.name, container),
      prompt: t('Image reference, e.g. ghcr.io/owner/app:1.2.3 (now {0})', current),
      value: current,
      validateInput: (v) => { try { k8s.rollout.checkImage(v); return v.trim() === current ? t('This is the current image.') : undefined; } catch (err) { return (err as Error).message; } },
    })).trim();
    const client = await session.client(ref.context);
    const final = await followRollout(deps, ref, web.metadata.name, t('Rolling {0} out to {1}…', ref.name, image), () => k8s.rollout.setImage(client, ref.namespace, 'deployments', web.metadata.name, container, image));
    void vscode.window.showInformationMessage(t('{0} ({1}) now runs {2} on {3} replicas', ref.name, ref.namespace, image, final.updated));
    return final;
  });

  registry.register('homelab.kubernetes.app.restart', async (arg?: unknown) => {
    const ref = await appArg(deps, arg, t('Restart Application'));
    const { web } = await webOf(deps, ref);
    const k8s = await session.modules();
    const client = await session.client(ref.context);
    const final = await followRollout(deps, ref, web.metadata.name, t('Restarting {0}…', ref.name), () => k8s.actions.restart(client, 'deployments', ref.namespace, web.metadata.name));
    void vscode.window.showInformationMessage(t('{0} ({1}) restarted: {2} new pods available', ref.name, ref.namespace, final.available));
    return final;
  });

  registry.register('homelab.kubernetes.app.openUrl', async (arg?: unknown) => {
    const ref = await appArg(deps, arg, t('Open Application URL'));
    const k8s = await session.modules();
    const detail = await k8s.applications.fetchApplication(await session.client(ref.context), ref);
    if (!detail.url) throw new Error(t('Application {0} in {1} has no Ingress with a host.', ref.name, ref.namespace));
    // A remote or web VS Code maps the address to one the browser can reach.
    const uri = await vscode.env.asExternalUri(vscode.Uri.parse(detail.url, true));
    deps.log.info(`Opening ${uri.toString()} (application ${ref.namespace}/${ref.name})`);
    await vscode.env.openExternal(uri);
    return uri.toString();
  });
}
