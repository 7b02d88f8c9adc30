// A guest's notes under its tooltip. The notes are markdown written by anyone with VM.Config on the
// cluster (SECURITY.md): shown as untrusted markdown (no command links, no HTML), and cut at a length
// a tooltip can hold; the full text is one "Edit Notes" away.
import * as vscode from 'vscode';
import type { GuestDetails } from '../../services/proxmox/guest-details';

const TOOLTIP_NOTES_MAX = 1500;
/** How long a hover waits for the notes before showing the tooltip without them. */
export const NOTES_WAIT_MS = 1500;

export async function notesTooltip(base: string, details: GuestDetails | undefined, clusterId: string, vmid: number | undefined): Promise<vscode.MarkdownString> {
  let notes: string | undefined;
  if (details && vmid !== undefined) {
    let timer: NodeJS.Timeout | undefined;
    notes = await Promise.race([
      details.notes(clusterId, vmid),
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), NOTES_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
  }
  const md = new vscode.MarkdownString(base);
  md.isTrusted = false;
  md.supportHtml = false;
  if (notes?.trim()) {
    const cut = notes.length > TOOLTIP_NOTES_MAX ? `${notes.slice(0, TOOLTIP_NOTES_MAX)}…` : notes;
    md.appendMarkdown('\n\n---\n\n');
    md.appendMarkdown(cut);
  }
  return md;
}
