// Guests coloured by the cluster's tag style. Why a FileDecoration on the item's resourceUri and
// not the icon's colour: the icon's colour already says the power state (running green, paused
// yellow), and a decoration colours the label instead, so both stay readable; VS Code takes only
// theme colour ids for either, hence the palette (tag-palette.ts). Only tags the cluster's
// color-map gives a colour count ("where set"): unmapped tags leave the row as it was.
import * as vscode from 'vscode';
import type { GuestDetails } from '../../services/proxmox/guest-details';
import type { ProxmoxSession } from '../../services/proxmox/session';
import { nearestTagHue, styledTag, tagColorId } from './tag-palette';

export const GUEST_SCHEME = 'homelab-guest';

/** The resourceUri of a guest's tree item (identifies it; nothing is read through it). */
export const guestResourceUri = (clusterId: string, vmid: number) => vscode.Uri.from({ scheme: GUEST_SCHEME, path: `/${encodeURIComponent(clusterId)}/${vmid}` });

export function parseGuestUri(uri: vscode.Uri): { clusterId: string; vmid: number } | undefined {
  const m = /^\/([^/]+)\/(\d+)$/.exec(uri.path);
  return uri.scheme === GUEST_SCHEME && m ? { clusterId: decodeURIComponent(m[1]), vmid: Number(m[2]) } : undefined;
}

export class TagDecorations implements vscode.FileDecorationProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri | vscode.Uri[] | undefined>();
  readonly onDidChangeFileDecorations = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly session: ProxmoxSession, private readonly details: GuestDetails) {
    this.subscriptions = [
      details.onDidChangeTagStyle(() => this.changed.fire(undefined)),
      // Tags change with the inventory (Add Tag, an edit in the web UI): ask again for every guest.
      session.onDidChangeInventory(() => this.changed.fire(undefined)),
    ];
  }

  provideFileDecoration(uri: vscode.Uri): vscode.FileDecoration | undefined {
    const id = parseGuestUri(uri);
    if (!id) return undefined;
    const tags = (this.session.guest(id.clusterId, id.vmid)?.tags ?? '').split(/[;, ]+/).filter(Boolean);
    if (!tags.length) return undefined;
    const style = this.details.tagStyle(id.clusterId);
    const hit = style && styledTag(tags, style);
    const hue = hit && nearestTagHue(hit.bg);
    if (!hit || !hue) return undefined;
    return { color: new vscode.ThemeColor(tagColorId(hue)), tooltip: vscode.l10n.t('Tag {0}', hit.tag), propagate: false };
  }

  dispose(): void {
    this.changed.dispose();
    for (const s of this.subscriptions) s.dispose();
  }
}
