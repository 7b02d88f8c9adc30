import * as vscode from 'vscode';
import type { ApplyResult } from '../../providers/kubernetes/actions';
import type { KubeElement } from '../../views/kubernetes/elements';
import { CancelledError } from '../registry';
import type { KubernetesCommandDeps } from './deps';

export interface ApplyOutcome { context: string; path: string; dryRun: boolean; results: ApplyResult[]; counts: Record<string, number> }

/** Server-side apply (field manager `homelab`) of a manifest file or folder, with a dry-run option. */
export function registerApplyCommands(deps: KubernetesCommandDeps): void {
  const { registry, session, prompts, log } = deps;
  registry.register('homelab.kubernetes.apply', async (arg?: unknown, target?: KubeElement) => {
    const uri = arg instanceof vscode.Uri ? arg : await pickManifest(deps);
    // Restricted Mode: manifests from the untrusted workspace are refused (samples and files elsewhere are fine).
    const { insideWorkspace, refuseInRestrictedMode } = await import('../../providers/workspace-trust');
    if (insideWorkspace(uri.fsPath, (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath))) refuseInRestrictedMode('apply-workspace-manifest', vscode.workspace.isTrusted);
    const cfg = await session.kubeconfig();
    const context = target?.kind === 'context' ? target.context : (arg as KubeElement | undefined)?.kind === 'context' ? (arg as { context: string }).context : cfg.currentContext;
    if (!context) throw new Error(vscode.l10n.t('No current Kubernetes context: switch to one first.'));
    const apply = vscode.l10n.t('Apply');
    const dry = vscode.l10n.t('Dry run (the server validates, nothing changes)');
    const mode = await prompts.pick([{ label: apply, description: context }, { label: dry, description: context }], { title: vscode.l10n.t('Apply {0} to {1}', vscode.workspace.asRelativePath(uri), context) });
    const dryRun = mode.label === dry;
    const k8s = await session.modules();
    const client = await session.client(context);
    const results = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Applying {0}', uri.fsPath) },
      () => k8s.actions.applyPath(client, uri.fsPath, { dryRun }),
    );
    const counts: Record<string, number> = { created: 0, configured: 0, unchanged: 0, failed: 0 };
    for (const r of results) counts[r.outcome]++;
    const summary = k8s.actions.applySummary(results);
    log.info(`apply ${uri.fsPath} to ${context}${dryRun ? ' (dry run)' : ''}:\n${summary}`);
    const line = vscode.l10n.t('{0}: {1} created, {2} configured, {3} unchanged, {4} failed', dryRun ? vscode.l10n.t('Dry run') : vscode.l10n.t('Applied'), counts.created, counts.configured, counts.unchanged, counts.failed);
    if (counts.failed) {
      const failures = results.filter((r) => r.outcome === 'failed').map((r) => `${r.kind}/${r.name}: ${r.error?.message ?? ''}`).join('; ');
      throw new Error(`${line}. ${failures}`);
    }
    void vscode.window.showInformationMessage(line, vscode.l10n.t('Show Log')).then((c) => c && log.show());
    return { context, path: uri.fsPath, dryRun, results, counts } satisfies ApplyOutcome;
  });
}

/** The samples shipped in resources/k8s/, manifests in the workspace, or a file/folder picked on disk. */
async function pickManifest(deps: KubernetesCommandDeps): Promise<vscode.Uri> {
  const samples = vscode.Uri.joinPath(deps.extensionUri, 'resources', 'k8s');
  const items: (vscode.QuickPickItem & { uri?: vscode.Uri })[] = [];
  try {
    for (const [name, type] of await vscode.workspace.fs.readDirectory(samples)) {
      if (type === vscode.FileType.Directory || /\.ya?ml$/.test(name)) items.push({ label: name, description: vscode.l10n.t('Homelab sample'), uri: vscode.Uri.joinPath(samples, name) });
    }
  } catch { /* no samples in this build */ }
  for (const f of await vscode.workspace.findFiles('**/*.{yaml,yml}', '**/node_modules/**', 200)) {
    items.push({ label: vscode.workspace.asRelativePath(f), description: vscode.l10n.t('workspace'), uri: f });
  }
  const browse = vscode.l10n.t('Choose a file or folder…');
  items.push({ label: browse });
  const picked = await deps.prompts.pick(items, { title: vscode.l10n.t('Manifest to apply') });
  if (picked.uri) return picked.uri;
  const chosen = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: false, filters: { YAML: ['yaml', 'yml', 'json'] } });
  if (!chosen?.[0]) throw new CancelledError();
  return chosen[0];
}
