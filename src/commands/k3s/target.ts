// Which deployed cluster a K3s command acts on, and what it needs around it: the cluster file
// (homelab/clusters/<name>.yaml: nodes, addresses, SSH user, the k3s section), the SSH connection
// to its nodes (the user's key or agent, host keys pinned in Homelab's known_hosts), and the
// cluster token in SecretStorage.
import * as vscode from 'vscode';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ClusterFile } from '../../providers/k3s/cluster-file';
import type { PlannedK3sNode } from '../../providers/k3s/plan';
import type { SshSession } from '../../providers/ssh';
import type { KubernetesSession } from '../../services/kubernetes';
import { keyOf, WorkspaceFileStore } from '../../services/files';
import { settings } from '../../services/settings';
import type { OperationDeps } from '../proxmox/operation';

/** Test knobs: stand-in nodes on loopback, their file-system roots, short timeouts. */
export interface K3sTuning {
  /** SSH port per node (tests: one sshd per stand-in node). */
  sshPort?(node: { name: string; address: string }): number;
  root?(node: PlannedK3sNode): string;
  sudo?: boolean;
  apiPort?: number;
  username?: string;
  privateKeyPath?: string;
  startTimeoutS?: number;
  readyTimeoutMs?: number;
  unreachableMs?: number;
  /** The user's kubeconfig the "merge" choice writes (default ~/.kube/config). */
  userKubeconfig?: string;
  /** Drain: overall budget and the pause between refused evictions. */
  drainTimeoutMs?: number;
  drainRetryMs?: number;
  /** Set Up NFS Storage: how long the test claim may take to bind (default 180 s). */
  nfsBindTimeoutMs?: number;
}

export interface K3sDeps extends OperationDeps {
  knownHostsPath: string;
  secrets: vscode.SecretStorage;
  /** Extension storage: kubeconfigs Homelab keeps go to <storageDir>/kubeconfigs. */
  storageDir: string;
  kubernetes: KubernetesSession;
  /** resources/nix of the extension: k3s.nix and k3s-flags.nix. */
  bundledDir: string;
  /** Kubeconfig files Homelab added to the tree, remembered across restarts. */
  kubeconfigs: { add(path: string): Promise<void>; remove(path: string): Promise<void> };
  tuning: K3sTuning;
}

export interface K3sTarget {
  name: string;
  file: ClusterFile;
  /** The cluster file's URI and its text as read (the k3s section is rewritten from it). */
  uri: vscode.Uri;
  text: string;
}

const expandHome = (p: string) => (p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);

/** The cluster a command was given (a tree group, `{name}`), or the user's pick among the workspace's cluster files. */
export async function resolveK3sTarget(deps: K3sDeps, arg: unknown): Promise<K3sTarget> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error(vscode.l10n.t('Open the folder of your lab: K3s is set up on a cluster deployed from it (homelab/clusters/<name>.yaml).'));
  let name = (arg as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || !name) {
    const files = await vscode.workspace.findFiles('homelab/clusters/*.yaml', undefined, 200);
    if (!files.length) throw new Error(vscode.l10n.t('This workspace has no deployed cluster (homelab/clusters/*.yaml): deploy one first ("Deploy Cluster").'));
    const names = files.map((f) => f.path.split('/').pop()!.replace(/\.yaml$/, '')).sort();
    name = (await deps.prompts.pick(names.map((n) => ({ label: n, id: n })), { title: vscode.l10n.t('Which cluster?') })).id;
  }
  const { clusterFiles } = await import('../../providers/cluster/inventory');
  const { parseClusterFile } = await import('../../providers/k3s/cluster-file');
  const where = clusterFiles(folder.uri.path, name as string);
  const uri = folder.uri.with({ path: where.yaml });
  let text: string;
  try {
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  } catch {
    throw new Error(vscode.l10n.t('There is no {0}: Homelab knows the nodes of a cluster it deployed from that file. Deploy the cluster from this workspace first.', vscode.workspace.asRelativePath(uri)));
  }
  const file = parseClusterFile(text, vscode.workspace.asRelativePath(uri));
  if (file.name !== name) throw new Error(vscode.l10n.t('{0} describes the cluster "{1}", not "{2}".', vscode.workspace.asRelativePath(uri), file.name, name as string));
  return { name: name as string, file, uri, text };
}

/** Writes the cluster file again (atomic) with `next` as its text. */
export async function writeClusterFile(t: K3sTarget, next: string): Promise<void> {
  await new WorkspaceFileStore().replace(keyOf(t.uri), new TextEncoder().encode(next));
}

/** Opens SSH sessions to the nodes: host keys must be pinned already (the deploy pinned them). */
export async function nodeConnector(deps: K3sDeps, t: K3sTarget): Promise<(node: PlannedK3sNode, signal: AbortSignal) => Promise<SshSession>> {
  const ssh = await import('../../providers/ssh');
  const username = deps.tuning.username || settings.get('ssh.user') || t.file.sshUser;
  if (!username) throw new Error(vscode.l10n.t('{0} names no SSH user (sshUser): set homelab.ssh.user.', vscode.workspace.asRelativePath(t.uri)));
  const configured = deps.tuning.privateKeyPath ?? settings.get('ssh.privateKeyPath');
  const keyPath = configured ? expandHome(configured) : undefined;
  if (!keyPath && !process.env.SSH_AUTH_SOCK) {
    throw new Error(vscode.l10n.t('No SSH key to log in with: set homelab.ssh.privateKeyPath to your private key (e.g. ~/.ssh/id_ed25519), or start an ssh-agent with your key.'));
  }
  const knownHosts = new ssh.KnownHosts(deps.knownHostsPath);
  return async (node, signal) => {
    try {
      return await ssh.connectSsh({
        host: node.address, port: node.sshPort, username, privateKeyPath: keyPath, agentSocket: keyPath ? false : undefined, knownHosts,
        // A node's key is pinned when the cluster is deployed; an unknown one is refused rather than asked for per node.
        confirmUnknown: async () => false, readyTimeoutMs: 15_000, signal,
      });
    } catch (e) {
      if (e instanceof ssh.HostKeyDeclinedError) {
        throw new Error(vscode.l10n.t('The SSH host key of {0} ({1}) is not pinned in Homelab\'s known_hosts. Open a shell on the VM once ("Open Shell") to compare and trust its key, then retry.', node.name, node.address));
      }
      throw e; // SshError messages name the address and what to check
    }
  };
}

/** The cluster's K3s token: made once (32 random bytes), kept in SecretStorage, never anywhere else. */
export const tokenKey = (t: K3sTarget) => `homelab.k3s.token/${t.file.proxmoxCluster ?? ''}/${t.name}`;

export async function clusterToken(deps: K3sDeps, t: K3sTarget): Promise<string> {
  const key = tokenKey(t);
  const existing = await deps.secrets.get(key);
  if (existing) return existing;
  const { newClusterToken } = await import('../../providers/k3s/bootstrap');
  const token = newClusterToken();
  await deps.secrets.store(key, token);
  return token;
}
