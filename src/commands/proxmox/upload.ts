// homelab.proxmox.uploadIso: streams an ISO from disk to a node's ISO storage (multipart, constant
// memory, SHA-256 verified by Proxmox), progress with rate and ETA, the imgcopy task log in a
// terminal; then the retention setting: older Homelab NixOS ISOs beyond the newest K are listed and
// deleted only after confirmation.
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { ProxmoxClient, UploadProgress } from '../../providers/proxmox';
import type { StorageContentItem } from '../../providers/proxmox/types';
import { LogTerminal } from '../../views/terminals/log-terminal';
import type { ProxmoxElement } from '../../views/proxmox/tree';
import { elapsed, isoRetention } from '../nix/settings';
import type { Prompts } from '../prompts';
import { CancelledError } from '../../providers/cancellation';
import type { CommandRegistry } from '../registry';
import type { OperationDeps } from './operation';

export interface UploadArgs {
  clusterId?: string;
  node?: string;
  storage?: string;
  filePath?: string;
  filename?: string;
}

export function progressText(p: UploadProgress): string {
  const pct = Math.floor((p.bytes * 100) / Math.max(1, p.total));
  if (p.phase === 'hashing') return vscode.l10n.t('computing SHA-256 {0}%', pct);
  if (p.phase === 'verifying') return vscode.l10n.t('Proxmox verifies the checksum');
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const rate = `${mib(p.bytesPerSecond)} MiB/s`;
  const eta = p.etaSeconds !== undefined ? vscode.l10n.t(', {0} left', elapsed(p.etaSeconds * 1000)) : '';
  return vscode.l10n.t('{0}% · {1} of {2} MiB · {3}{4}', pct, mib(p.bytes), mib(p.total), rate, eta);
}

/** Asks before deleting the ISOs beyond the newest `keep`; dismissed = nothing deleted. */
export async function applyRetention(prompts: Prompts, client: ProxmoxClient, node: string, storage: string, protect: string[], log: (l: string) => void,
  o: { signal?: AbortSignal; pollMs?: number } = {}): Promise<{ removed: string[]; declined: boolean }> {
  const px = await import('../../providers/proxmox');
  const keep = isoRetention();
  const plan = px.planIsoRetention(await client.storageContent(node, storage, 'iso'), { keep, protect });
  if (!plan.remove.length) return { removed: [], declined: false };
  if (!(await confirmIsoDeletion(prompts, plan.remove, keep))) {
    log(vscode.l10n.t('Kept the older ISOs (deletion not confirmed).'));
    return { removed: [], declined: true };
  }
  const removed = await px.deleteIsos(client, node, storage, plan.remove.map((i) => i.volid), { signal: o.signal, pollMs: o.pollMs ?? 500, onLog: (ls: string[]) => ls.forEach(log) });
  log(vscode.l10n.t('Deleted: {0}', removed.join(', ')));
  return { removed, declined: false };
}

export async function confirmIsoDeletion(prompts: Prompts, items: StorageContentItem[], keep: number): Promise<boolean> {
  const del = vscode.l10n.t('Delete');
  try {
    await prompts.confirm(
      vscode.l10n.t('Delete {0} older NixOS ISO(s)?', items.length),
      vscode.l10n.t('homelab.proxmox.isoRetention keeps the newest {0}. These would be deleted:\n{1}', keep, items.map((i) => `${i.volid} (${((i.size ?? 0) / 2 ** 20).toFixed(0)} MiB)`).join('\n')),
      del,
    );
    return true;
  } catch (e) {
    if (e instanceof CancelledError) return false;
    throw e;
  }
}

async function uploadCommand(deps: OperationDeps, args: unknown[]): Promise<string> {
  const px = await import('../../providers/proxmox');
  const { resolveCluster } = await import('./clusters');
  const el = args[0] as (ProxmoxElement & Record<string, unknown>) | UploadArgs | undefined;
  const a: UploadArgs = el && 'kind' in el
    ? { clusterId: (el as { clusterId?: string }).clusterId, node: (el as { node?: string }).node, storage: el.kind === 'iso' ? (el as { item: StorageContentItem }).item.volid.split(':')[0] : undefined }
    : ((el as UploadArgs) ?? {});
  const cluster = await resolveCluster(deps, a.clusterId);
  const client = await deps.connections.client(cluster);
  const node = a.node ?? (await deps.prompts.pick((await client.get<Array<{ node: string; status?: string }>>('/nodes')).filter((n) => n.status !== 'offline').map((n) => ({ label: n.node, id: n.node })), { title: vscode.l10n.t('Upload to which node?') })).label;
  const storages = await client.get<Array<{ storage: string; content?: string; avail?: number }>>(`/nodes/${encodeURIComponent(node)}/storage`);
  const isoStorages = storages.filter((s) => String(s.content ?? '').split(',').includes('iso'));
  const storage = a.storage ?? (isoStorages.length === 1 ? isoStorages[0].storage
    : (await deps.prompts.pick(isoStorages.map((s) => ({ label: s.storage, id: s.storage, description: s.avail !== undefined ? vscode.l10n.t('{0} GiB free', (s.avail / 2 ** 30).toFixed(1)) : '' })), { title: vscode.l10n.t('Upload to which storage?') })).label);
  let filePath = a.filePath;
  if (!filePath) {
    const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { [vscode.l10n.t('ISO images')]: ['iso', 'img'] }, title: vscode.l10n.t('ISO to upload to {0}/{1}', node, storage) });
    if (!picked?.[0]) throw new CancelledError();
    filePath = picked[0].fsPath;
  }
  const filename = a.filename ?? path.basename(filePath);
  const term = new LogTerminal(vscode.l10n.t('upload {0} · {1}', filename, node));
  const { terminal } = deps.operations.terminals.create('task', term, new vscode.ThemeIcon('cloud-upload'));
  terminal.show(true);
  const ac = new AbortController();
  const sub = term.onInterrupt(() => ac.abort());
  const t0 = Date.now();
  try {
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Uploading {0} to {1}/{2}', filename, node, storage), cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => ac.abort());
      let last = 0;
      return px.uploadIso(client, {
        node, storage, filePath: filePath!, filename, signal: ac.signal, pollMs: deps.operations.pollMs,
        onTaskLog: (ls) => ls.forEach((l) => term.line(l)),
        onProgress: (p) => {
          const now = Date.now();
          if (p.phase !== 'uploading' || now - last > 250 || p.bytes === p.total) {
            last = now;
            progress.report({ message: progressText(p) });
          }
          if (p.phase === 'uploading' && p.bytes === p.total) term.dim(progressText(p));
        },
      });
    });
    term.line(vscode.l10n.t('Uploaded {0} ({1} bytes, sha256 {2}, verified by Proxmox) in {3}', r.volid, r.bytes, r.sha256, elapsed(Date.now() - t0)));
    await applyRetention(deps.prompts, client, node, storage, [r.volid], (l) => term.line(l), { pollMs: deps.operations.pollMs });
    term.end(true, 'OK');
    void deps.operations.endOperation(cluster.id);
    return r.volid;
  } catch (e) {
    if (ac.signal.aborted) {
      term.end(false, vscode.l10n.t('CANCELLED: the upload was stopped.'));
      throw new CancelledError();
    }
    const message = e instanceof px.UploadError && e.kind === 'no-iso-content'
      ? vscode.l10n.t('Storage "{0}" on {1} does not hold ISO images. Storages there that do: {2}.', storage, node, isoStorages.map((s) => s.storage).join(', ') || '-')
      : e instanceof Error ? e.message : String(e);
    term.end(false, vscode.l10n.t('FAILED: {0}', message));
    throw new Error(message);
  } finally {
    sub.dispose();
  }
}

export function registerUploadCommands(registry: CommandRegistry, deps: OperationDeps): void {
  registry.register('homelab.proxmox.uploadIso', (...args: unknown[]) => uploadCommand(deps, args));
}
