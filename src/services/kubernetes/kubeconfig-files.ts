import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type * as vscode from 'vscode';
import type { KubernetesModules } from './modules';

/**
 * Which kubeconfig files are read, and a watch on them: kubectl (or anyone) editing one shows
 * without a refresh. Folders are watched (an editor that replaces the file keeps being seen);
 * node's watcher because the files usually live outside the workspace.
 */
export class KubeconfigFiles implements vscode.Disposable {
  private readonly extra: string[] = [];
  private watchers: FSWatcher[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly onChange: () => void) {}

  /** The setting, else KUBECONFIG, else ~/.kube/config; plus files Homelab added. */
  paths(k: KubernetesModules, setting: string[]): string[] {
    const set = setting.filter((p) => p.trim());
    // A file Homelab added that is gone now (K3s uninstalled, storage cleared) is simply not read.
    return [...new Set([...(set.length ? set : k.kubeconfig.kubeconfigPaths(process.env)), ...this.extra.filter((p) => existsSync(p))])];
  }

  add(path: string): void {
    if (!this.extra.includes(path)) this.extra.push(path);
  }

  remove(path: string): void {
    const i = this.extra.indexOf(path);
    if (i >= 0) this.extra.splice(i, 1);
  }

  watch(files: string[]): void {
    this.close();
    const byDir = new Map<string, Set<string>>();
    for (const f of files) byDir.set(dirname(f), (byDir.get(dirname(f)) ?? new Set()).add(basename(f)));
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, (_event, name) => {
          if (!name || !names.has(String(name))) return;
          clearTimeout(this.timer);
          this.timer = setTimeout(this.onChange, 300); // an editor writes in several steps
        });
        w.on('error', () => w.close());
        this.watchers.push(w);
      } catch { /* the folder does not exist (yet): Refresh picks the file up */ }
    }
  }

  private close(): void {
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.close();
  }
}
