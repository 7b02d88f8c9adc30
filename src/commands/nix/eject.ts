// homelab.nix.eject: copies the bundled NixOS files into the workspace (homelab/nix/), with
// homelab-params.nix rendered from the current settings. From then on that copy is what builds.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { CommandRegistry } from '../registry';
import type { Prompts } from '../prompts';
import { nixSettings, vscodeFileStore, workspaceDir } from './settings';

export interface EjectDeps {
  prompts: Prompts;
  bundledDir: string;
}

async function ejectFiles(deps: EjectDeps): Promise<string[]> {
  const nix = await import('../../providers/nix');
  const ws = workspaceDir();
  if (!ws) throw new Error(vscode.l10n.t('Open a folder first: the NixOS files are copied into its homelab/nix folder.'));
  const targetDir = path.join(ws, nix.EJECT_DIR);
  const params = nix.resolveParams(nixSettings());
  const store = vscodeFileStore();
  let written: string[];
  try {
    ({ written } = await nix.eject(store, { bundledDir: deps.bundledDir, targetDir, params }));
  } catch (e) {
    if (!nix.isNixError(e, 'eject-conflict')) throw e;
    const replace = vscode.l10n.t('Replace');
    await deps.prompts.confirm(
      vscode.l10n.t('{0} already holds NixOS files. Replace them with fresh copies?', path.join(nix.EJECT_DIR)),
      vscode.l10n.t('Your edits in {0} would be lost: {1}', targetDir, ((e.detail.existing as string[]) ?? []).join(', ')),
      replace,
    );
    ({ written } = await nix.eject(store, { bundledDir: deps.bundledDir, targetDir, params, overwrite: true }));
  }
  const flake = vscode.Uri.file(path.join(targetDir, 'flake.nix'));
  void vscode.window.showInformationMessage(vscode.l10n.t('The NixOS files are now in {0}: builds use this copy from now on (homelab.nix.* settings no longer apply; edit homelab-params.nix).', path.join(nix.EJECT_DIR)));
  await vscode.window.showTextDocument(flake, { preview: true, preserveFocus: true }).then(undefined, () => undefined);
  return written;
}

export function registerEjectCommand(registry: CommandRegistry, deps: EjectDeps): void {
  registry.register('homelab.nix.eject', () => ejectFiles(deps));
}
