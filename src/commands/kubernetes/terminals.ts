import * as vscode from 'vscode';
import { settings } from '../../services/settings';
import { podContainers } from '../../views/kubernetes/items';
import { K8sExecTerminal } from '../../views/terminals/k8s-exec-terminal';
import { K8sLogsTerminal } from '../../views/terminals/k8s-logs-terminal';
import type { KubernetesCommandDeps } from './deps';
import { liveObject, objectArg } from './deps';

/** Pod logs and a shell in a container, each in its own terminal. */
export function registerTerminalCommands(deps: KubernetesCommandDeps): void {
  const { registry, session, prompts } = deps;

  const container = async (arg: unknown, title: string) => {
    const e = objectArg(arg, ['pods'], deps.view.selection);
    const names = podContainers(liveObject(deps, e));
    const name = names.length > 1 ? (await prompts.pick(names.map((label) => ({ label })), { title: vscode.l10n.t('{0}: container', title) })).label : names[0];
    // The terminal names the container only when the pod has several.
    return { e, name, title: names.length > 1 ? `${e.name}/${name}` : e.name };
  };

  const logs = async (arg: unknown, ask: boolean) => {
    const { e, name, title } = await container(arg, vscode.l10n.t('Logs of {0}', (arg as { name?: string })?.name ?? ''));
    const k8s = await session.modules();
    let tailLines = settings.get('kubernetes.logTailLines');
    let follow = true;
    if (ask) {
      const n = await prompts.input({
        title: vscode.l10n.t('Logs of {0}: lines to show first', e.name), value: String(tailLines),
        validateInput: (v) => (/^\s*\d{1,6}\s*$/.test(v) ? undefined : vscode.l10n.t('A whole number of lines, 0 or more.')),
      });
      tailLines = Number(n.trim());
      const keep = vscode.l10n.t('Follow new lines');
      follow = (await prompts.pick([{ label: keep }, { label: vscode.l10n.t('Show and stop') }], { title: vscode.l10n.t('Logs of {0}', e.name) })).label === keep;
    }
    const pty = new K8sLogsTerminal({ client: await session.client(e.context), namespace: e.namespace, pod: e.name, container: name, tailLines, follow }, k8s.actions.streamLogs);
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Logs: {0}', title), pty, iconPath: new vscode.ThemeIcon('output') });
    terminal.show();
    return pty;
  };
  registry.register('homelab.kubernetes.logs', (arg?: unknown) => logs(arg, false));
  registry.register('homelab.kubernetes.logsWithOptions', (arg?: unknown) => logs(arg, true));

  registry.register('homelab.kubernetes.exec', async (arg?: unknown) => {
    const { e, name, title } = await container(arg, vscode.l10n.t('Shell in {0}', (arg as { name?: string })?.name ?? ''));
    const k8s = await session.modules();
    const pty = new K8sExecTerminal({ client: await session.client(e.context), namespace: e.namespace, pod: e.name, container: name, command: ['sh'] }, k8s.actions.exec);
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Shell: {0}', title), pty, iconPath: new vscode.ThemeIcon('terminal') });
    terminal.show();
    return pty;
  });
}
