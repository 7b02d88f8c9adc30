import * as vscode from 'vscode';

/** One VM of a deployed cluster as its cluster file records it. */
interface RecordedVm { vmid?: string; proxmoxNode?: string }

/**
 * Which Proxmox VM a Kubernetes node runs on, from the workspace's cluster files
 * (homelab/clusters/<name>.yaml, written by the cluster deploy, their k3s section by the K3s
 * bootstrap). Read once on first use and again when a file changes; the Kubernetes tree asks
 * synchronously and gets what is known so far. Homelab writes these files in a fixed layout, so a
 * line scan is enough here (no YAML library in the activation bundle).
 */
export class ClusterRecords implements vscode.Disposable {
  private byContext?: Map<string, Map<string, RecordedVm>>;
  private loading?: Promise<void>;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private watcher?: vscode.FileSystemWatcher;

  /** "VM 201 on pve2" for a node of a context Homelab set up, when known. */
  vmOf(context: string, node: string): string | undefined {
    if (!this.byContext) { void this.load(); return undefined; }
    const vm = this.byContext.get(context)?.get(node);
    if (!vm?.vmid) return undefined;
    return vm.proxmoxNode ? vscode.l10n.t('VM {0} on {1}', vm.vmid, vm.proxmoxNode) : vscode.l10n.t('VM {0}', vm.vmid);
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      if (!this.watcher && vscode.workspace.workspaceFolders?.length) {
        this.watcher = vscode.workspace.createFileSystemWatcher('**/homelab/clusters/*.yaml');
        const again = () => { this.loading = undefined; void this.load(); };
        this.watcher.onDidChange(again); this.watcher.onDidCreate(again); this.watcher.onDidDelete(again);
      }
      const map = new Map<string, Map<string, RecordedVm>>();
      const files = await vscode.workspace.findFiles('homelab/clusters/*.yaml', undefined, 200).then((f) => f, () => []);
      for (const f of files) {
        const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(f).then((b) => b, () => new Uint8Array()));
        const name = /^name: "?([a-z0-9-]+)"?\s*$/m.exec(text)?.[1];
        const context = /^ {2}context: "?([a-z0-9.-]+)"?\s*$/m.exec(text)?.[1] ?? (name ? `homelab-${name}` : undefined);
        if (!context) continue;
        const vms = new Map<string, RecordedVm>();
        let cur: (RecordedVm & { name?: string }) | undefined;
        for (const line of text.split('\n')) {
          const n = /^ {2}- name: "?([A-Za-z0-9.-]+)"?\s*$/.exec(line);
          if (n) { cur = { name: n[1] }; vms.set(n[1], cur); continue; }
          if (!/^ {4}\S/.test(line)) { if (!/^ {2}- /.test(line)) cur = undefined; continue; }
          const kv = /^ {4}(vmid|proxmoxNode): "?([^"\s]+)"?\s*$/.exec(line);
          if (cur && kv) cur[kv[1] as 'vmid' | 'proxmoxNode'] = kv[2];
        }
        map.set(context, vms);
      }
      this.byContext = map;
      this.changed.fire();
    })();
    return this.loading;
  }

  dispose(): void {
    this.watcher?.dispose();
    this.changed.dispose();
  }
}
