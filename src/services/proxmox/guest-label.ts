import * as vscode from 'vscode';

/** "VM 100 (web)" / "container 200 (ct-pihole)", localized: how every message of commands and views names a guest. */
export function guestName(g: { type?: string; vmid?: number; name?: string }): string {
  const name = g.name ? ` (${g.name})` : '';
  return g.type === 'lxc' ? vscode.l10n.t('container {0}{1}', g.vmid ?? '?', name) : vscode.l10n.t('VM {0}{1}', g.vmid ?? '?', name);
}
