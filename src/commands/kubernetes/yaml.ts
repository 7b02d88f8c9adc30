import * as vscode from 'vscode';
import { yamlUri } from '../../views/kubernetes/yaml-document';
import type { KubernetesCommandDeps } from './deps';
import { objectArg } from './deps';

/** Read-only YAML of an object; Secret values only through the explicit reveal command. */
export function registerYamlCommands(deps: KubernetesCommandDeps): void {
  const open = async (arg: unknown, reveal: boolean) => {
    const e = objectArg(arg, reveal ? ['secrets'] : undefined, deps.view.selection);
    const uri = yamlUri({ context: e.context, kind: e.resource, namespace: e.namespace, name: e.name, reveal });
    deps.yaml.reload(uri); // an open document shows the object as it is now
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.languages.setTextDocumentLanguage(doc, 'yaml');
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  };
  deps.registry.register('homelab.kubernetes.viewYaml', (arg?: unknown) => open(arg, false));
  deps.registry.register('homelab.kubernetes.revealSecret', (arg?: unknown) => open(arg, true));
}
