// The Nodes group of a context: every Node with Ready/NotReady, roles, kubelet version, CPU and
// memory capacity/allocatable, pressure conditions, and the Proxmox VM it runs on when a cluster
// file of the workspace says so. Display only: the nodes come from the session's watch (one list,
// then events), asked for while the group is expanded.
import * as vscode from 'vscode';
import { memoryGiB, nodeSummary, PRESSURE_CONDITIONS } from '../../providers/kubernetes/nodes';
import type { KubernetesSession } from '../../services/kubernetes';
import type { KubeElement } from './elements';

export type NodesElement = Extract<KubeElement, { kind: 'nodes' }>;
export type NodeElement = Extract<KubeElement, { kind: 'node' }>;

/** Where a node runs, as the workspace's cluster files know it: "VM 201 on pve2 (lab)". */
export type NodeVmLookup = (context: string, node: string) => string | undefined;

export const nodesId = (context: string) => `k8s/${context}/nodes`;
export const nodeId = (context: string, name: string) => `k8s/${context}/nodes/${name}`;

type Make = <T extends KubeElement>(e: T) => T;

/** The group's children: the nodes by name, or why there are none. */
export async function nodesChildren(session: KubernetesSession, e: NodesElement, element: Make): Promise<KubeElement[]> {
  const ok = await session.whenSynced(e.context, 'nodes');
  const err = session.status(e.context, 'nodes').error;
  if (!ok || err) {
    const forbidden = err?.kind === 'forbidden';
    return [element({ kind: 'message', id: `${e.id}/error`, parent: e.id, context: e.context, severity: forbidden ? 'info' : 'error',
      text: forbidden ? vscode.l10n.t('Listing nodes is forbidden') : vscode.l10n.t('Nodes could not be listed'), detail: err?.message ?? vscode.l10n.t('No answer from the API server yet.') })];
  }
  const nodes = session.objects(e.context, 'nodes').sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  if (!nodes.length) return [element({ kind: 'message', id: `${e.id}/empty`, parent: e.id, context: e.context, severity: 'info', text: vscode.l10n.t('No nodes registered'), detail: '' })];
  return nodes.map((n) => element({ kind: 'node', id: nodeId(e.context, n.metadata.name), context: e.context, name: n.metadata.name }));
}

/** A node's children: its conditions, the ones that are wrong first. */
export function nodeChildren(session: KubernetesSession, e: NodeElement, element: Make): KubeElement[] {
  const obj = session.object(e.context, 'nodes', undefined, e.name);
  const conditions: Array<{ type: string; status: string; reason?: string; message?: string }> = Array.isArray(obj?.status?.conditions) ? obj!.status.conditions : [];
  const rows = conditions.map((c) => ({ c, ok: c.type === 'Ready' ? c.status === 'True' : (PRESSURE_CONDITIONS as readonly string[]).includes(c.type) ? c.status !== 'True' : true }))
    .sort((a, b) => Number(a.ok) - Number(b.ok) || a.c.type.localeCompare(b.c.type));
  if (!rows.length) return [element({ kind: 'message', id: `${e.id}/none`, parent: e.id, severity: 'info', text: vscode.l10n.t('No conditions reported yet'), detail: '' })];
  return rows.map(({ c, ok }) => element({ kind: 'condition', id: `${e.id}/c/${c.type}`, parent: e.id, ok, text: `${c.type}=${c.status}`, detail: [c.reason, c.message].filter(Boolean).join(': ') }));
}

export function nodesTreeItem(session: KubernetesSession, e: NodesElement): vscode.TreeItem {
  const s = session.status(e.context, 'nodes');
  const item = new vscode.TreeItem(vscode.l10n.t('Nodes'), vscode.TreeItemCollapsibleState.Collapsed);
  item.id = e.id;
  item.iconPath = s.error ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon('server');
  if (s.synced && !s.error) {
    const nodes = session.objects(e.context, 'nodes');
    const ready = nodes.filter((n) => nodeSummary(n).ready === 'True').length;
    item.description = vscode.l10n.t('{0}/{1} Ready', ready, nodes.length);
  }
  item.contextValue = 'k8s-nodes';
  return item;
}

export function nodeTreeItem(session: KubernetesSession, e: NodeElement, vmOf?: NodeVmLookup): vscode.TreeItem {
  const t = vscode.l10n.t;
  const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Collapsed);
  item.id = e.id;
  const obj = session.object(e.context, 'nodes', undefined, e.name);
  if (!obj) return item;
  const s = nodeSummary(obj);
  const ready = s.ready === 'True';
  item.iconPath = new vscode.ThemeIcon(ready ? (s.pressure.length ? 'warning' : 'server') : 'error',
    new vscode.ThemeColor(ready ? (s.pressure.length ? 'problemsWarningIcon.foreground' : 'testing.iconPassed') : 'errorForeground'));
  const vm = vmOf?.(e.context, e.name);
  item.description = [
    ready ? 'Ready' : 'NotReady',
    s.unschedulable ? 'SchedulingDisabled' : '',
    s.roles.join(',') || t('worker'),
    s.version ?? '',
    ...s.pressure,
    vm ?? '',
  ].filter(Boolean).join(' · ');
  const cap = (r: typeof s.capacity) => `${r.cpu ?? '?'} CPU · ${memoryGiB(r.memory) ?? '?'} · ${r.pods ?? '?'} pods`;
  item.tooltip = new vscode.MarkdownString([
    `**${e.name}** — ${ready ? 'Ready' : `NotReady${s.readyDetail ? ` (${s.readyDetail})` : ''}`}${s.unschedulable ? ' · SchedulingDisabled' : ''}`,
    '',
    `${t('Roles')}: ${s.roles.join(', ') || t('worker')}`,
    '',
    `${t('Version')}: ${s.version ?? '?'}`,
    '',
    `${t('Address')}: ${s.internalIp ?? '?'}`,
    '',
    `${t('Capacity')}: ${cap(s.capacity)}`,
    '',
    `${t('Allocatable')}: ${cap(s.allocatable)}`,
    '',
    `${t('Pressure')}: ${s.pressure.join(', ') || t('none')}`,
    ...(vm ? ['', `${t('Proxmox')}: ${vm}`] : []),
  ].join('\n'));
  item.contextValue = s.unschedulable ? 'k8s-node-cordoned' : 'k8s-node';
  return item;
}
