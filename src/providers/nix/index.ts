// Nix provider (plain Node, no vscode): flake files and parameters, syntax check, ISO builds
// (local or over SSH), the resumable pipeline engine and the ISO-to-template steps.
export * from './errors';
export * from './params';
export * from './files';
export * from './syntax';
export * from './build';
export * from './pipeline';
export * from './template';
export * from './remote-upload';
