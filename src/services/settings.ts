import * as vscode from 'vscode';

/**
 * Every `homelab.*` setting with its type and default: the one place settings are read. The
 * defaults must equal package.json's `contributes.configuration` (a unit test compares them), so a
 * key or default changed in one place and not the other fails the build.
 */
export const SETTING_DEFAULTS = {
  'proxmox.clusters': [] as unknown[],
  'proxmox.refreshInterval': 10,
  'proxmox.requestTimeout': 15,
  'proxmox.shutdownTimeout': 180,
  'proxmox.isoRetention': 3,
  'ssh.user': '',
  'ssh.privateKeyPath': '',
  'ssh.port': 22,
  'journal.folder': 'journal',
  // 'whenJournalExists' | 'always' | 'never' (package.json enum)
  'journal.activityLog': 'whenJournalExists' as string,
  'tracker.globs': ['**/LEARNING_TRACKER.md', '**/Phase*.md', '**/*learning*.md'] as string[],
  'cluster.parallelism': 3,
  'kubernetes.kubeconfig': [] as string[],
  'kubernetes.namespaceFilter': [] as string[],
  'kubernetes.logTailLines': 200,
  'kubernetes.allNamespaces': [] as string[],
  'nix.diskDevice': '/dev/sda',
  'nix.swapSizeGiB': 2,
  'nix.timezone': 'UTC',
  'nix.nfsServer': '',
  'nix.nfsExport': '',
  'nix.nfsMountPoint': '/mnt/nfs',
  'nix.extraPackages': [] as string[],
  'nix.sshKeys': [] as string[],
  'nix.hostName': 'nixos-template',
  'nix.adminUser': 'admin',
  'nix.buildHost': '',
  'nix.buildHostUser': '',
  'nix.buildHostNix': 'nix',
  'nix.uploadFromBuildHost': false,
  'nix.nixPath': '',
  'template.node': '',
  'template.isoStorage': 'local',
  'template.diskStorage': 'local-lvm',
  'template.diskSizeGiB': 20,
  'template.bridge': 'vmbr0',
  'template.name': 'nixos-template',
  'template.memoryMiB': 2048,
  'template.cores': 2,
  'template.installTimeoutMinutes': 45,
};

export type SettingKey = keyof typeof SETTING_DEFAULTS;
export type SettingValue<K extends SettingKey> = (typeof SETTING_DEFAULTS)[K];

const SECTION = 'homelab';

/** Typed reads, writes and change events for `homelab.*`. */
export class Settings implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<SettingsChange>();
  /** Fires once per configuration change that touched any `homelab.*` key. */
  readonly onDidChange = this.changed.event;
  private readonly sub: vscode.Disposable;

  constructor() {
    this.sub = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(SECTION)) this.changed.fire(new SettingsChange(e));
    });
  }

  /** The value in effect (for resource-scoped keys, of `scope`'s folder), falling back to the default when unset or of the wrong type. */
  get<K extends SettingKey>(key: K, scope?: vscode.ConfigurationScope): SettingValue<K> {
    const def = SETTING_DEFAULTS[key];
    const value = vscode.workspace.getConfiguration(SECTION, scope).get<unknown>(key);
    if (value === undefined || value === null) return def;
    if (Array.isArray(def) ? !Array.isArray(value) : typeof value !== typeof def) return def;
    return value as SettingValue<K>;
  }

  /** Writes a user (global) setting: the only target used for what the extension stores itself. */
  async update<K extends SettingKey>(key: K, value: SettingValue<K> | undefined, target = vscode.ConfigurationTarget.Global): Promise<void> {
    await vscode.workspace.getConfiguration(SECTION).update(key, value, target);
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

/** A change event that answers per typed key (or a key prefix such as `kubernetes`). */
export class SettingsChange {
  constructor(private readonly e: vscode.ConfigurationChangeEvent) {}
  affects(key: SettingKey | 'proxmox' | 'ssh' | 'journal' | 'tracker' | 'cluster' | 'kubernetes' | 'nix' | 'template', scope?: vscode.ConfigurationScope): boolean {
    return this.e.affectsConfiguration(`${SECTION}.${key}`, scope);
  }
}

/**
 * The process-wide instance. Services and commands receive it through their deps where they are
 * wired; modules that only read a value (no events) may import it directly.
 */
export const settings = new Settings();
