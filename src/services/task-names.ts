// What a task terminal is called: what the user asked for, in words ("Start VM 101 dusty-raven ·
// pve1"), not Proxmox's task type ("qmstart 101"). The type stays in the terminal's first line.
import * as vscode from 'vscode';

type Namer = (id: string) => string;

const VM: Record<string, Namer> = {
  qmstart: (id) => vscode.l10n.t('Start VM {0}', id),
  qmstop: (id) => vscode.l10n.t('Stop VM {0}', id),
  qmshutdown: (id) => vscode.l10n.t('Shut down VM {0}', id),
  qmreboot: (id) => vscode.l10n.t('Reboot VM {0}', id),
  qmreset: (id) => vscode.l10n.t('Reset VM {0}', id),
  qmsuspend: (id) => vscode.l10n.t('Pause VM {0}', id),
  qmresume: (id) => vscode.l10n.t('Resume VM {0}', id),
  qmclone: (id) => vscode.l10n.t('Clone VM {0}', id),
  qmigrate: (id) => vscode.l10n.t('Migrate VM {0}', id),
  qmtemplate: (id) => vscode.l10n.t('Make VM {0} a template', id),
  qmdestroy: (id) => vscode.l10n.t('Delete VM {0}', id),
  qmcreate: (id) => vscode.l10n.t('Create VM {0}', id),
  qmresize: (id) => vscode.l10n.t('Resize the disk of VM {0}', id),
  qmconfig: (id) => vscode.l10n.t('Configure VM {0}', id),
  vzstart: (id) => vscode.l10n.t('Start container {0}', id),
  vzstop: (id) => vscode.l10n.t('Stop container {0}', id),
  vzshutdown: (id) => vscode.l10n.t('Shut down container {0}', id),
  vzreboot: (id) => vscode.l10n.t('Reboot container {0}', id),
  vzdestroy: (id) => vscode.l10n.t('Delete container {0}', id),
  vzcreate: (id) => vscode.l10n.t('Create container {0}', id),
  vzmigrate: (id) => vscode.l10n.t('Migrate container {0}', id),
  vzclone: (id) => vscode.l10n.t('Clone container {0}', id),
  imgcopy: () => vscode.l10n.t('Copy an image'),
  download: () => vscode.l10n.t('Download'),
};

/** A clone task carries the SOURCE's id; the name given is the new guest's. */
const CLONES: Record<string, (id: string, name: string) => string> = {
  qmclone: (id, name) => vscode.l10n.t('Clone VM {0} → {1}', id, name),
  vzclone: (id, name) => vscode.l10n.t('Clone container {0} → {1}', id, name),
};

/**
 * "Start VM 101 dusty-raven · pve1", "Clone VM 9000 → web-1 · pve2"; an unknown task type keeps
 * its own name ("vncproxy 101 · pve1").
 */
export function taskTerminalName(u: { type: string; id: string; node: string }, guestName?: string): string {
  const clone = guestName ? CLONES[u.type] : undefined;
  const subject = guestName ? `${u.id} ${guestName}` : u.id;
  const what = clone ? clone(u.id, guestName!) : VM[u.type]?.(subject) ?? `${u.type}${subject ? ` ${subject}` : ''}`;
  return `${what} · ${u.node}`;
}
