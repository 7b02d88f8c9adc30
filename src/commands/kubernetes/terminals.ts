import * as vscode from 'vscode';
import { podContainers } from '../../views/kubernetes/items';
import { K8sExecTerminal } from '../../views/terminals/k8s-exec-terminal';
import { K8sLogsTerminal } from '../../views/terminals/k8s-logs-terminal';
import type { KubernetesCommandDeps } from './deps';
import { liveObject, objectArg } from './deps';

/** Pod logs and a shell in a container, each in its own terminal. */
export function registerTerminalCommands(deps: KubernetesCommandDeps): void {
  const { registry, tree, prompts } = deps;

  const container = async (arg: unknown, title: string) => {
    const e = objectArg(arg, ['pods'], deps.view.selection);
    const names = podContainers(liveObject(deps, e));
    const name = names.length > 1 ? (await prompts.pick(names.map((label) => ({ label })), { title: vscode.l10n.t('{0}: container', title) })).label : names[0];
    // The terminal names the container only when the pod has several.
    return { e, name, title: names.length > 1 ? `${e.name}/${name}` : e.name };
  };

  registry.register('homelab.kubernetes.logs', async (arg?: unknown) => {
    const { e, name, title } = await container(arg, vscode.l10n.t('Logs of {0}', (arg as { name?: string })?.name ?? ''));
    const k8s = await tree.modules();
    const tailLines = vscode.workspace.getConfiguration('homelab.kubernetes').get<number>('logTailLines', 200);
    const pty = new K8sLogsTerminal({ client: await tree.client(e.context), namespace: e.namespace, pod: e.name, container: name, tailLines, follow: true }, k8s.actions.streamLogs);
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Logs: {0}', title), pty, iconPath: new vscode.ThemeIcon('output') });
    terminal.show();
    return pty;
  });

  registry.register('homelab.kubernetes.exec', async (arg?: unknown) => {
    const { e, name, title } = await container(arg, vscode.l10n.t('Shell in {0}', (arg as { name?: string })?.name ?? ''));
    const k8s = await tree.modules();
    const pty = new K8sExecTerminal({ client: await tree.client(e.context), namespace: e.namespace, pod: e.name, container: name, command: ['sh'] }, k8s.actions.exec);
    const terminal = vscode.window.createTerminal({ name: vscode.l10n.t('Shell: {0}', title), pty, iconPath: new vscode.ThemeIcon('terminal') });
    terminal.show();
    return pty;
  });
}
