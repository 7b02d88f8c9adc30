import * as vscode from 'vscode';
import type { KindName } from '../../providers/kubernetes/resources';
import type { KubernetesSession } from '../../services/kubernetes';

export const YAML_SCHEME = 'homelab-k8s';

export interface YamlTarget { context: string; kind: KindName; namespace?: string; name: string; reveal?: boolean }

/** `homelab-k8s:/<context>/<kind>/<namespace>/<name>.yaml[?reveal]`: one URI per object (and per reveal). */
export function yamlUri(t: YamlTarget): vscode.Uri {
  const parts = [t.context, t.kind, t.namespace ?? '_', `${t.name}.yaml`].map(encodeURIComponent);
  return vscode.Uri.from({ scheme: YAML_SCHEME, path: `/${parts.join('/')}`, query: t.reveal ? 'reveal' : '' });
}

export function parseYamlUri(uri: vscode.Uri): YamlTarget {
  const [context, kind, ns, file] = uri.path.slice(1).split('/').map(decodeURIComponent);
  return { context, kind: kind as KindName, namespace: ns === '_' ? undefined : ns, name: file.replace(/\.yaml$/, ''), reveal: uri.query === 'reveal' };
}

/**
 * Read-only YAML of live objects (documents of a content provider cannot be saved). Secret values
 * are replaced unless the URI carries `reveal`, which only the explicit reveal command produces.
 */
export class KubernetesYamlProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly session: KubernetesSession) {}

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const t = parseYamlUri(uri);
    const k8s = await this.session.modules();
    const client = await this.session.client(t.context);
    return k8s.actions.getYaml(client, t.kind, t.namespace, t.name, { reveal: t.reveal });
  }

  /** Reloads an open document (after an action changed its object). */
  reload(uri: vscode.Uri): void {
    this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
