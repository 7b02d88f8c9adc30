// Typed K3s bootstrap errors, each with a message a user can act on.

export type K3sErrorKind =
  | 'not-nixos' // the node runs another distribution
  | 'layout' // NixOS, but no configuration Homelab knows how to extend
  | 'sudo-password' // sudo asks for a password
  | 'existing-k3s' // K3s runs there and Homelab did not set it up
  | 'rebuild' // nixos-rebuild switch failed
  | 'k3s-start' // K3s did not come up after the rebuild
  | 'dependency' // waits for a node that failed
  | 'kubeconfig' // reading or rewriting k3s.yaml
  | 'kubeconfig-write' // writing the user's kubeconfig
  | 'kubeconfig-conflict' // a context of that name exists already
  | 'api-unreachable' // the API address does not answer from here
  | 'not-ready' // nodes not Ready in time
  | 'remote'; // any other remote command

export class K3sError extends Error {
  override name = 'K3sError';
  constructor(readonly kind: K3sErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export function isK3sError(e: unknown, kind?: K3sErrorKind): e is K3sError {
  return e instanceof K3sError && (kind === undefined || e.kind === kind);
}

/** The kubeconfig already holds a cluster, user or context of the name Homelab would write. */
export class KubeconfigConflictError extends K3sError {
  override name = 'KubeconfigConflictError';
  constructor(readonly file: string, readonly entryName: string, readonly entries: Array<'cluster' | 'user' | 'context'>) {
    super('kubeconfig-conflict', `${file} already has a ${entries.join(', ')} named "${entryName}". Homelab does not overwrite it silently: choose "Replace" to update it (a backup is kept), or keep the kubeconfig in its own file.`);
  }
}
