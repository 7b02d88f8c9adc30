// Restricted Mode (an untrusted workspace): the Proxmox and Kubernetes views keep working, but an
// action whose input is a workspace file that runs as code or changes a cluster is refused. A
// cloned repository could ship an ejected NixOS flake (built, and run in the installer, with the
// user's SSH keys and API token nearby) or Kubernetes manifests (applied with the user's cluster
// credentials), so these wait until the user trusts the folder.
import * as path from 'node:path';

export class RestrictedModeError extends Error {
  override name = 'RestrictedModeError';
}

export type RestrictedAction = 'build-ejected-flake' | 'apply-workspace-manifest';

const WHAT: Record<RestrictedAction, string> = {
  'build-ejected-flake': 'Building the NixOS flake ejected into this workspace',
  'apply-workspace-manifest': 'Applying Kubernetes manifests from this workspace',
};

/** True when `file` is inside one of `folders` (file system paths). */
export function insideWorkspace(file: string, folders: readonly string[]): boolean {
  const f = path.resolve(file);
  return folders.some((d) => {
    const rel = path.relative(path.resolve(d), f);
    return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
  });
}

/** Throws RestrictedModeError with what to do when `action` may not run in an untrusted workspace. */
export function refuseInRestrictedMode(action: RestrictedAction, trusted: boolean): void {
  if (trusted) return;
  throw new RestrictedModeError(`${WHAT[action]} is not allowed in Restricted Mode: this folder is not trusted. ` +
    'Review its files, then trust it (Workspaces: Manage Workspace Trust) and run the command again.');
}
