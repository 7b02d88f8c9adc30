// A guest's notes (PVE's `description`, markdown) as an editor tab: `homelab-notes:/<cluster>/<vmid>/<name>.md`.
// Reading remembers the config digest the text came with; saving sends it back, so a change made
// meanwhile (web UI, another Homelab, a script) is refused by PVE and nothing is overwritten. The
// refusal says so and offers to compare with what Proxmox has now or to reload.
import * as vscode from 'vscode';
import type { GuestRef } from '../../providers/proxmox/guests';
import type { GuestDetails } from '../../services/proxmox/guest-details';
import type { ProxmoxSession } from '../../services/proxmox/session';
import { guestName } from '../../services/proxmox/guest-label';

export const NOTES_SCHEME = 'homelab-notes';
/** Read-only: what Proxmox holds now (the left side of a comparison). */
export const NOTES_REMOTE_SCHEME = 'homelab-notes-proxmox';

/** A file name from a guest name: the name is the server's, so only safe characters survive. */
const fileName = (g: { vmid: number; name?: string }) => `${(g.name ?? '').replace(/[^A-Za-z0-9._-]/g, '') || g.vmid}.md`;

export function notesUri(clusterId: string, g: { vmid: number; name?: string }, scheme = NOTES_SCHEME): vscode.Uri {
  return vscode.Uri.from({ scheme, path: `/${encodeURIComponent(clusterId)}/${g.vmid}/${fileName(g)}` });
}

export function parseNotesUri(uri: vscode.Uri): { clusterId: string; vmid: number } | undefined {
  const m = /^\/([^/]+)\/(\d+)\/[^/]+$/.exec(uri.path);
  if ((uri.scheme !== NOTES_SCHEME && uri.scheme !== NOTES_REMOTE_SCHEME) || !m) return undefined;
  return { clusterId: decodeURIComponent(m[1]), vmid: Number(m[2]) };
}

interface Version {
  /** The config digest the editor's text was read (or last saved) with; '' when unknown. */
  digest: string;
  /** Read while the editor held unsaved changes (Compare with Saved, a revert in progress): taken
   *  only once the editor shows exactly that text unmodified, i.e. the read replaced the editor's base. */
  pending?: { digest: string; text: string };
  mtime: number;
  size: number;
}

export interface NotesRefusal {
  uri: vscode.Uri;
  guest: GuestRef;
  message: string;
}

export class NotesFileSystem implements vscode.FileSystemProvider, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly versions = new Map<string, Version>();
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly refused = new vscode.EventEmitter<NotesRefusal>();
  /** A save was refused because the config changed meanwhile (tests; the toast is shown regardless). */
  readonly onDidRefuseSave = this.refused.event;

  private readonly docs: vscode.Disposable;

  constructor(private readonly session: ProxmoxSession, private readonly details: GuestDetails, private readonly log: vscode.LogOutputChannel) {
    // A read kept aside while the editor was dirty becomes the base once the editor shows it clean (a revert).
    this.docs = vscode.workspace.onDidChangeTextDocument(({ document: d }) => {
      if (d.uri.scheme !== NOTES_SCHEME || d.isDirty) return;
      const v = this.versions.get(this.key(d.uri));
      if (v?.pending && d.getText() === v.pending.text) {
        v.digest = v.pending.digest;
        v.pending = undefined;
      }
    });
  }

  /** One version per guest: every URI form VS Code may hand back for the same notes shares it. */
  private key(uri: vscode.Uri): string {
    const id = parseNotesUri(uri);
    return id ? `${id.clusterId}/${id.vmid}` : uri.toString();
  }

  /**
   * The digest to save with. A read changes only the digest, not mtime or size: VS Code stats before
   * it reads and compares that stat with the one before a save, so a read that moved them would look
   * like an outside change ("file modified since"). Only a save of ours moves them.
   */
  private remember(uri: vscode.Uri, digest: string, text: string, size: number, how: 'read' | 'written'): void {
    const before = this.versions.get(this.key(uri));
    if (before && how === 'read') {
      const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === NOTES_SCHEME && this.key(d.uri) === this.key(uri));
      if (doc?.isDirty) before.pending = { digest, text };
      else {
        before.digest = digest;
        before.pending = undefined;
      }
      return;
    }
    this.versions.set(this.key(uri), { digest, mtime: Math.max(Date.now(), (before?.mtime ?? 0) + 1), size });
  }

  /** The guest behind a URI, where it runs now (it may have migrated since the tab opened). */
  private async locate(uri: vscode.Uri): Promise<{ clusterId: string; ref: GuestRef }> {
    const id = parseNotesUri(uri);
    if (!id) throw vscode.FileSystemError.FileNotFound(uri);
    let r = this.session.guest(id.clusterId, id.vmid);
    if (!r) {
      await this.session.refresh(id.clusterId).catch(() => undefined);
      r = this.session.guest(id.clusterId, id.vmid);
    }
    if (!r?.node || (r.type !== 'qemu' && r.type !== 'lxc')) throw vscode.FileSystemError.FileNotFound(vscode.l10n.t('Guest {0} is not in this cluster (any more).', id.vmid));
    return { clusterId: id.clusterId, ref: { node: r.node, type: r.type, vmid: id.vmid, name: r.name } };
  }

  private async client(clusterId: string) {
    const cluster = this.session.clusters.get(clusterId);
    if (!cluster) throw vscode.FileSystemError.Unavailable(vscode.l10n.t('No cluster with id "{0}".', clusterId));
    return this.session.connections.client(cluster);
  }

  private async read(uri: vscode.Uri): Promise<{ text: string; digest: string; clusterId: string; ref: GuestRef }> {
    const { clusterId, ref } = await this.locate(uri);
    const { readNotes } = await import('../../providers/proxmox/notes');
    const { notes, digest } = await readNotes(await this.client(clusterId), ref);
    return { text: notes, digest, clusterId, ref };
  }

  async readFile(uri: vscode.Uri): Promise<Uint8Array> {
    const { text, digest, clusterId, ref } = await this.read(uri);
    const bytes = new TextEncoder().encode(text);
    this.remember(uri, digest, text, bytes.length, 'read');
    this.details.setNotes(clusterId, ref.vmid, text);
    return bytes;
  }

  /** The comparison's left side: Proxmox's current notes, without touching the editor's digest. */
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    return (await this.read(uri)).text;
  }

  async stat(uri: vscode.Uri): Promise<vscode.FileStat> {
    let v = this.versions.get(this.key(uri));
    if (!v) {
      await this.readFile(uri);
      v = this.versions.get(this.key(uri))!;
    }
    return { type: vscode.FileType.File, ctime: v.mtime, mtime: v.mtime, size: v.size };
  }

  async writeFile(uri: vscode.Uri, content: Uint8Array): Promise<void> {
    const v = this.versions.get(this.key(uri));
    const { clusterId, ref } = await this.locate(uri);
    const text = new TextDecoder().decode(content);
    const client = await this.client(clusterId);
    const notes = await import('../../providers/proxmox/notes');
    const errors = await import('../../providers/proxmox/guest-errors');
    try {
      if (!v?.digest) {
        this.log.warn(`notes of ${ref.type} ${ref.vmid}: no digest to save with (${v ? 'a change landed during the last save' : 'never read'})`);
        throw new errors.ConfigChangedError(ref, 'the notes');
      }
      await notes.saveNotes(client, ref, text, v.digest);
    } catch (e) {
      if (e instanceof errors.ConfigChangedError) {
        const message = vscode.l10n.t('The notes of {0} were not saved: its configuration was changed by someone else since you opened them, and nothing was overwritten. Compare with what Proxmox has now, or reload and re-apply your edit.', guestName(ref));
        this.refused.fire({ uri, guest: ref, message });
        void this.offerResolution(uri, message);
        throw vscode.FileSystemError.Unavailable(message);
      }
      if (e instanceof errors.GuestLockedError) throw vscode.FileSystemError.Unavailable(vscode.l10n.t('{0} is locked ({1}): the notes were not saved. Save again when the operation has finished.', guestName(ref), e.lock));
      throw vscode.FileSystemError.Unavailable((e as Error).message);
    }
    // The new digest: taken only if the config still holds what was just written, otherwise a
    // change landed in between and the next save must be refused too.
    const after = await notes.readNotes(client, ref).catch(() => undefined);
    const same = after && after.notes === (text.trim() ? text : '');
    this.remember(uri, same ? after.digest : '', text, content.length, 'written');
    this.details.setNotes(clusterId, ref.vmid, text);
    void this.session.refresh(clusterId).catch(() => undefined);
  }

  /** Opens a diff: Proxmox's current notes on the left, the editor's text on the right. */
  async compare(uri: vscode.Uri): Promise<void> {
    const remote = uri.with({ scheme: NOTES_REMOTE_SCHEME });
    await vscode.commands.executeCommand('vscode.diff', remote, uri, vscode.l10n.t('{0}: Proxmox now ↔ your edit', uri.path.split('/').pop() ?? ''));
  }

  /** Discards the editor's text for what Proxmox has now (and its digest). */
  async reload(uri: vscode.Uri): Promise<void> {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (!doc) return;
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  }

  private async offerResolution(uri: vscode.Uri, message: string): Promise<void> {
    const compare = vscode.l10n.t('Compare');
    const reload = vscode.l10n.t('Reload (discard my edit)');
    const choice = await vscode.window.showWarningMessage(message, compare, reload);
    if (choice === compare) await this.compare(uri);
    else if (choice === reload) await this.reload(uri);
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => {});
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.docs.dispose();
    this.changed.dispose();
    this.refused.dispose();
  }
}
