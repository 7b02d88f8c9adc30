import * as vscode from 'vscode';
import type { Prompts } from '../prompts';
import type { CommandRegistry } from '../registry';
import type { KubeObject } from '../../providers/kubernetes/resources';
import type { KubernetesSession, PortForwards } from '../../services/kubernetes';
import type { Applications } from '../../services/kubernetes/applications';
import type { KubeElement, ObjectElement } from '../../views/kubernetes/elements';
import type { KubernetesYamlProvider } from '../../views/kubernetes/yaml-document';

export interface KubernetesCommandDeps {
  registry: CommandRegistry;
  session: KubernetesSession;
  /** Live port-forwards. */
  forwards?: PortForwards;
  /** Applications (objects sharing app.kubernetes.io/part-of). */
  applications?: Applications;
  prompts: Prompts;
  log: vscode.LogOutputChannel;
  yaml: KubernetesYamlProvider;
  extensionUri: vscode.Uri;
  /** Only for its selection (commands run from the palette act on the selected item). */
  view: vscode.TreeView<KubeElement>;
}

/** The object element a command was invoked on (tree item, or the tree's selection). */
export function objectArg(e: unknown, kinds?: string[], selection: readonly KubeElement[] = []): ObjectElement {
  // From the palette or a keybinding there is no argument: the selected item is meant.
  const el = (e as KubeElement | undefined)?.kind ? (e as KubeElement) : selection.length === 1 ? selection[0] : undefined;
  if (!el || el.kind !== 'object') throw new Error(vscode.l10n.t('Run this command on an item in the Kubernetes view.'));
  if (kinds && !kinds.includes(el.resource)) throw new Error(vscode.l10n.t('This command does not apply to {0}.', el.resource));
  return el;
}

/** The live object of an element, or an error saying it is gone. */
export function liveObject(deps: KubernetesCommandDeps, e: ObjectElement): KubeObject {
  const obj = deps.session.object(e.context, e.resource, e.namespace, e.name);
  if (!obj) throw new Error(vscode.l10n.t('{0} "{1}" is no longer in namespace "{2}".', e.resource, e.name, e.namespace));
  return obj;
}

export async function kindLabel(deps: KubernetesCommandDeps, e: ObjectElement): Promise<string> {
  return (await deps.session.modules()).resources.KINDS[e.resource].kind;
}
