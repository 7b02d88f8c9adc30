// A guest's notes in an editor tab (views/proxmox/notes-fs.ts saves them with the config digest)
// and its tags, added and removed with PVE's tag rules, written with the digest they were read with.
import * as vscode from 'vscode';
import type { CommandRegistry } from '../registry';
import { guestName, resolveGuest, send } from './guest-target';
import type { OperationDeps } from './operation';

export interface NotesTagsDeps extends OperationDeps {
  /** `homelab-notes:` URI of a guest's notes (views/proxmox/notes-fs.ts). */
  notesUri(clusterId: string, g: { vmid: number; name?: string }): vscode.Uri;
}

async function editNotes(deps: NotesTagsDeps, args: unknown[]): Promise<string> {
  const t = await resolveGuest(deps, args[0], { action: 'editNotes', title: vscode.l10n.t('Edit the notes of which guest?') });
  const uri = deps.notesUri(t.cluster.id, t.ref);
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false });
  return uri.toString();
}

async function changeTags(deps: NotesTagsDeps, args: unknown[], kind: 'add' | 'remove'): Promise<string> {
  const t = await resolveGuest(deps, args[0], { action: 'editTags', title: kind === 'add' ? vscode.l10n.t('Add a tag to which guest?') : vscode.l10n.t('Remove a tag from which guest?') });
  const tags = await import('../../providers/proxmox/tags');
  const { guestConfig } = await import('../../providers/proxmox/guests');
  const client = t.client;
  const [conf, style] = await Promise.all([guestConfig(client, t.ref), tags.clusterTagStyle(client).catch(() => tags.DEFAULT_TAG_STYLE)]);
  const current = tags.parseTags(typeof conf.tags === 'string' ? conf.tags : undefined);
  const given = typeof args[1] === 'string' ? (args[1] as string) : undefined;
  let next: string;
  let tag: string;
  if (kind === 'add') {
    const known = [...new Set((deps.session.inventory(t.cluster.id)?.nodes ?? []).flatMap((n) => [...n.guests, ...n.templates]).flatMap((g) => tags.parseTags(g.tags)))].filter((x) => !current.includes(x)).sort();
    // PVE's tag rule, localized around the provider's reason; synchronous, as an input box validates.
    const problem = (v: string) => {
      const x = v.trim();
      if (!x) return vscode.l10n.t('Enter a tag.');
      const bad = tags.checkTag(x);
      if (bad) return vscode.l10n.t('Proxmox would refuse this tag: {0}', bad);
      const same = current.find((c) => (style.caseSensitive ? c === x : c.toLowerCase() === x.toLowerCase()));
      return same ? vscode.l10n.t('The guest already has the tag "{0}".', same) : undefined;
    };
    if (given !== undefined) {
      const bad = problem(given);
      if (bad) throw new Error(bad);
      tag = given.trim();
    } else {
      tag = (await deps.prompts.input({
        title: vscode.l10n.t('Add a tag to {0}', guestName(t.ref)),
        prompt: current.length ? vscode.l10n.t('Current tags: {0}', current.join(', ')) : vscode.l10n.t('Letters, digits and _ - + . (the first one a letter, digit or _)'),
        placeHolder: known.length ? vscode.l10n.t('e.g. {0}', known.slice(0, 5).join(', ')) : undefined,
        validateInput: problem,
      })).trim();
    }
    next = tags.addTag(current.join(';'), tag, style);
  } else {
    if (!current.length) throw new Error(vscode.l10n.t('{0} has no tags.', guestName(t.ref)));
    if (given !== undefined) {
      tag = current.find((c) => (style.caseSensitive ? c === given : c.toLowerCase() === given.toLowerCase())) ?? '';
      if (!tag) throw new Error(vscode.l10n.t('{0} has no tag "{1}" (its tags: {2}).', guestName(t.ref), given, current.join(', ')));
    } else {
      tag = (await deps.prompts.pick(current.map((c) => ({ label: c, id: c })), { title: vscode.l10n.t('Remove which tag from {0}?', guestName(t.ref)) })).id;
    }
    next = tags.removeTag(current.join(';'), tag, style);
  }
  await send(t, () => tags.setGuestTags(client, t.ref, tags.parseTags(next), { digest: conf.digest, style }), 'the tags');
  deps.log.info(`tags of ${t.ref.type} ${t.ref.vmid}: ${next || '(none)'}`);
  await deps.session.refresh(t.cluster.id);
  return next;
}

export function registerNotesTagsCommands(registry: CommandRegistry, deps: NotesTagsDeps): void {
  registry.register('homelab.proxmox.editNotes', (...args: unknown[]) => editNotes(deps, args));
  registry.register('homelab.proxmox.addTag', (...args: unknown[]) => changeTags(deps, args, 'add'));
  registry.register('homelab.proxmox.removeTag', (...args: unknown[]) => changeTags(deps, args, 'remove'));
}
