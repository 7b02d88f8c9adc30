// K3s on a deployed cluster: the plan, the NixOS module generator, the bootstrap and uninstall
// engines (SSH/SFTP), the kubeconfig (fetch, rewrite, merge) and the Ready check. Plain Node.
export * from './errors';
export * from './plan';
export * from './nix-module';
export * from './node';
export * from './engine';
export * from './bootstrap';
export * from './kubeconfig';
export * from './ready';
