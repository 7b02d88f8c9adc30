// NFS storage for a K3s cluster: the StorageClass `nfs` on the template's export (the driver's
// manifests are pinned files in resources/k8s/storage/).
import type { KubeObject } from '../kubernetes/resources';

/** The provisioner name of the Kubernetes NFS CSI driver. */
export const NFS_PROVISIONER = 'nfs.csi.k8s.io';

/** A message when server or export cannot be written into the StorageClass as they are. */
export function checkNfsExport(server: string, share: string): string | undefined {
  if (!server || !share) return 'The template has no NFS settings: set homelab.nix.nfsServer and homelab.nix.nfsExport.';
  if (!/^[A-Za-z0-9][A-Za-z0-9.:-]*$/.test(server)) return `NFS server "${server}" is not a host name or address (homelab.nix.nfsServer): the export must be host:/path.`;
  if (!/^\/[A-Za-z0-9._/-]*$/.test(share) || share.split('/').includes('..')) return `NFS export "${share}" is not a plain absolute path on the server (homelab.nix.nfsExport, e.g. /srv/nfs): the export must be host:/path.`;
  return undefined;
}

/** The StorageClass `nfs` for the template's export. */
export function nfsStorageClass(server: string, share: string): KubeObject {
  const bad = checkNfsExport(server, share);
  if (bad) throw new Error(bad);
  return {
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    metadata: { name: 'nfs', labels: { 'app.kubernetes.io/managed-by': 'homelab' } },
    provisioner: NFS_PROVISIONER, parameters: { server, share }, reclaimPolicy: 'Delete', volumeBindingMode: 'Immediate', mountOptions: ['nfsvers=4.1'],
  };
}
