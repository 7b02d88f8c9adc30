import * as vscode from 'vscode';
import type { KindName } from '../../providers/kubernetes/resources';

/** Tree elements. Instances are kept per id so change events name exactly what changed. */
export type KubeElement =
  | { kind: 'context'; id: string; context: string }
  | { kind: 'namespace'; id: string; context: string; namespace: string }
  | { kind: 'group'; id: string; context: string; namespace: string; resource: KindName }
  /** A kind across every namespace (the context shows all namespaces at once). */
  | { kind: 'allGroup'; id: string; context: string; resource: KindName }
  /** `all`: shown under an all-namespaces group (the namespace is its description). */
  | { kind: 'object'; id: string; context: string; namespace: string; resource: KindName; name: string; all?: boolean; /** Shown under an application (its pods): the parent row's id. */ parent?: string }
  /** The context's port-forwards (shown while it has some). */
  | { kind: 'forwards'; id: string; context: string }
  | { kind: 'forward'; id: string; context: string; forwardId: string }
  /** The context's Nodes group and its nodes (views/kubernetes/nodes.ts). */
  | { kind: 'nodes'; id: string; context: string }
  | { kind: 'node'; id: string; context: string; name: string }
  /** The context's Applications group, an application, its parts and their rows (views/kubernetes/applications.ts). */
  | { kind: 'apps'; id: string; context: string }
  | { kind: 'app'; id: string; context: string; namespace: string; name: string }
  | { kind: 'appPart'; id: string; context: string; namespace: string; app: string; part: AppPart }
  | { kind: 'appRow'; id: string; parent: string; text: string; detail: string; tooltip?: string; icon: string; color?: string; contextValue: string; command?: vscode.Command }
  | { kind: 'condition'; id: string; parent: string; text: string; detail: string; ok: boolean }
  | { kind: 'message'; id: string; context?: string; parent?: string; text: string; detail: string; severity: 'error' | 'info'; command?: vscode.Command };

export type AppPart = 'rollout' | 'pods' | 'endpoints' | 'url' | 'database' | 'events';

export type ObjectElement = Extract<KubeElement, { kind: 'object' }>;
export type ContextElement = Extract<KubeElement, { kind: 'context' }>;
export type GroupElement = Extract<KubeElement, { kind: 'group' }>;
export type AllGroupElement = Extract<KubeElement, { kind: 'allGroup' }>;
export type ForwardElement = Extract<KubeElement, { kind: 'forward' }>;

// Ids hold names only (never volatile text): a refresh keeps selection and expansion.
export const ctxId = (context: string) => `k8s/${context}`;
export const nsId = (context: string, ns: string) => `k8s/${context}/ns/${ns}`;
export const groupId = (context: string, ns: string, kind: KindName) => `k8s/${context}/ns/${ns}/k/${kind}`;
export const objId = (context: string, ns: string, kind: KindName, name: string) => `k8s/${context}/ns/${ns}/k/${kind}/o/${name}`;
export const allGroupId = (context: string, kind: KindName) => `k8s/${context}/all/k/${kind}`;
export const forwardsId = (context: string) => `k8s/${context}/forwards`;
export const forwardId = (context: string, id: string) => `k8s/${context}/forwards/${id}`;
export const allObjId = (context: string, ns: string, kind: KindName, name: string) => `k8s/${context}/all/k/${kind}/o/${ns}/${name}`;

/** Group labels (literal strings so the l10n tooling finds them). */
export function kindLabel(kind: KindName): string {
  switch (kind) {
    case 'deployments': return vscode.l10n.t('Deployments');
    case 'statefulsets': return vscode.l10n.t('StatefulSets');
    case 'daemonsets': return vscode.l10n.t('DaemonSets');
    case 'replicasets': return vscode.l10n.t('ReplicaSets');
    case 'pods': return vscode.l10n.t('Pods');
    case 'services': return vscode.l10n.t('Services');
    case 'ingresses': return vscode.l10n.t('Ingresses');
    case 'persistentvolumeclaims': return vscode.l10n.t('Persistent Volume Claims');
    case 'configmaps': return vscode.l10n.t('ConfigMaps');
    case 'secrets': return vscode.l10n.t('Secrets');
    case 'namespaces': return vscode.l10n.t('Namespaces');
    case 'events': return vscode.l10n.t('Events');
    case 'nodes': return vscode.l10n.t('Nodes');
  }
}
