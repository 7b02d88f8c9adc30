// The homelab.nix.* / homelab.template.* settings as the providers' inputs. Files go through the
// one file store (src/services/files.ts).
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { NixFileStore, NixParams, PipelineStore } from '../../providers/nix';
import type { TemplateInputs } from '../../providers/nix/template';
import { nixFileStore, pipelineStateStore } from '../../services/files';
import { settings } from '../../services/settings';

export function nixSettings(): Partial<NixParams> {
  return {
    diskDevice: settings.get('nix.diskDevice'),
    swapSizeGiB: settings.get('nix.swapSizeGiB'),
    timezone: settings.get('nix.timezone'),
    nfsServer: settings.get('nix.nfsServer'),
    nfsExport: settings.get('nix.nfsExport'),
    nfsMountPoint: settings.get('nix.nfsMountPoint'),
    extraPackages: settings.get('nix.extraPackages'),
    sshKeys: settings.get('nix.sshKeys'),
    hostName: settings.get('nix.hostName'),
    adminUser: settings.get('nix.adminUser'),
  };
}

/** The environment a local build sees: homelab.nix.nixPath (a nix executable or its folder) first on PATH. */
export function nixEnv(): NodeJS.ProcessEnv {
  const p = settings.get('nix.nixPath').trim();
  if (!p) return process.env;
  const dir = path.basename(p) === 'nix' ? path.dirname(p) : p;
  return { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` };
}

export function buildHostSetting(): { host: string; user?: string; port: number; nix: string } | undefined {
  const raw = settings.get('nix.buildHost').trim();
  if (!raw) return undefined;
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw);
  if (!m) throw new Error(vscode.l10n.t('Setting homelab.nix.buildHost: "{0}" is not user@host[:port].', raw));
  const user = m[1] ?? (settings.get('nix.buildHostUser').trim() || undefined);
  return { host: m[2].replace(/^\[|\]$/g, ''), user, port: m[3] ? Number(m[3]) : 22, nix: settings.get('nix.buildHostNix').trim() || 'nix' };
}

export function templateInputs(node: string): TemplateInputs {
  return {
    node,
    isoStorage: settings.get('template.isoStorage'),
    diskStorage: settings.get('template.diskStorage'),
    diskSizeGiB: settings.get('template.diskSizeGiB'),
    bridge: settings.get('template.bridge'),
    name: settings.get('template.name'),
    memoryMiB: settings.get('template.memoryMiB'),
    cores: settings.get('template.cores'),
    installTimeoutMs: Math.round(settings.get('template.installTimeoutMinutes') * 60_000),
    keepIsos: isoRetention(),
    tags: 'nixos;template',
    diskDevice: settings.get('nix.diskDevice'),
  };
}

export function isoRetention(): number {
  return Math.max(1, Math.floor(settings.get('proxmox.isoRetention')));
}

export function workspaceDir(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** The Nix providers' file store: the extension's one atomic store. */
export function vscodeFileStore(): NixFileStore {
  return nixFileStore();
}

/** The pipeline state file in the workspace, through the same store. */
export function pipelineStore(file: string): Promise<PipelineStore> {
  return pipelineStateStore(file);
}

export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
