// The homelab.nix.* / homelab.template.* settings as the providers' inputs, and the vscode-backed
// file stores the providers take (files go through vscode.workspace.fs).
import * as vscode from 'vscode';
import * as path from 'node:path';
import type { NixFileStore, NixParams, PipelineStore } from '../../providers/nix';
import type { TemplateInputs } from '../../providers/nix/template';

const cfg = () => vscode.workspace.getConfiguration('homelab');

export function nixSettings(): Partial<NixParams> {
  const c = cfg();
  return {
    diskDevice: c.get<string>('nix.diskDevice'),
    swapSizeGiB: c.get<number>('nix.swapSizeGiB'),
    timezone: c.get<string>('nix.timezone'),
    nfsServer: c.get<string>('nix.nfsServer'),
    nfsExport: c.get<string>('nix.nfsExport'),
    nfsMountPoint: c.get<string>('nix.nfsMountPoint'),
    extraPackages: c.get<string[]>('nix.extraPackages'),
    sshKeys: c.get<string[]>('nix.sshKeys'),
    hostName: c.get<string>('nix.hostName'),
    adminUser: c.get<string>('nix.adminUser'),
  };
}

/** The environment a local build sees: homelab.nix.nixPath (a nix executable or its folder) first on PATH. */
export function nixEnv(): NodeJS.ProcessEnv {
  const p = cfg().get<string>('nix.nixPath', '').trim();
  if (!p) return process.env;
  const dir = path.basename(p) === 'nix' ? path.dirname(p) : p;
  return { ...process.env, PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` };
}

export function buildHostSetting(): { host: string; user?: string; port: number; nix: string } | undefined {
  const raw = cfg().get<string>('nix.buildHost', '').trim();
  if (!raw) return undefined;
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(raw);
  if (!m) throw new Error(vscode.l10n.t('Setting homelab.nix.buildHost: "{0}" is not user@host[:port].', raw));
  const user = m[1] ?? (cfg().get<string>('nix.buildHostUser', '').trim() || undefined);
  return { host: m[2].replace(/^\[|\]$/g, ''), user, port: m[3] ? Number(m[3]) : 22, nix: cfg().get<string>('nix.buildHostNix', 'nix').trim() || 'nix' };
}

export function templateInputs(node: string): TemplateInputs {
  const c = cfg();
  return {
    node,
    isoStorage: c.get<string>('template.isoStorage', 'local'),
    diskStorage: c.get<string>('template.diskStorage', 'local-lvm'),
    diskSizeGiB: c.get<number>('template.diskSizeGiB', 20),
    bridge: c.get<string>('template.bridge', 'vmbr0'),
    name: c.get<string>('template.name', 'nixos-template'),
    memoryMiB: c.get<number>('template.memoryMiB', 2048),
    cores: c.get<number>('template.cores', 2),
    installTimeoutMs: Math.round(c.get<number>('template.installTimeoutMinutes', 45) * 60_000),
    keepIsos: isoRetention(),
    tags: 'nixos;template',
    diskDevice: c.get<string>('nix.diskDevice', '/dev/sda'),
  };
}

export function isoRetention(): number {
  return Math.max(1, Math.floor(cfg().get<number>('proxmox.isoRetention', 3)));
}

export function workspaceDir(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export function vscodeFileStore(): NixFileStore {
  const fs = vscode.workspace.fs;
  return {
    read: async (p) => fs.readFile(vscode.Uri.file(p)),
    write: async (p, data) => {
      await fs.createDirectory(vscode.Uri.file(path.dirname(p)));
      await fs.writeFile(vscode.Uri.file(p), data);
    },
    exists: async (p) => fs.stat(vscode.Uri.file(p)).then(() => true, () => false),
  };
}

/** The pipeline state file in the workspace, through vscode.workspace.fs. */
export async function pipelineStore(file: string): Promise<PipelineStore> {
  const { jsonFileStore } = await import('../../providers/nix');
  const fs = vscode.workspace.fs;
  return jsonFileStore(file, {
    readFile: (p) => Promise.resolve(fs.readFile(vscode.Uri.file(p))),
    writeFile: (p, d) => Promise.resolve(fs.writeFile(vscode.Uri.file(p), Buffer.from(d))),
    rename: (a, b) => Promise.resolve(fs.rename(vscode.Uri.file(a), vscode.Uri.file(b), { overwrite: true })),
    mkdir: (p) => Promise.resolve(fs.createDirectory(vscode.Uri.file(p))),
  });
}

export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
