import * as vscode from 'vscode';
import { eventsUri } from '../../views/kubernetes/events-document';
import type { KubeElement } from '../../views/kubernetes/elements';
import type { KubernetesCommandDeps } from './deps';
import { kindLabel } from './deps';

/** Events of an object or of a namespace, live, newest first, in a read-only document. */
export function registerEventsCommands(deps: KubernetesCommandDeps): void {
  deps.registry.register('homelab.kubernetes.showEvents', async (arg?: unknown) => {
    const el = (arg as KubeElement | undefined)?.kind ? (arg as KubeElement) : deps.view.selection.length === 1 ? deps.view.selection[0] : undefined;
    let uri: vscode.Uri;
    if (el?.kind === 'namespace') uri = eventsUri({ context: el.context, namespace: el.namespace });
    else if (el?.kind === 'object') uri = eventsUri({ context: el.context, namespace: el.namespace, object: { resource: el.resource, kind: await kindLabel(deps, el), name: el.name } });
    else throw new Error(vscode.l10n.t('Run this command on a namespace or an object in the Kubernetes view.'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true });
    return doc;
  });
}
