// Typed errors of the Nix provider; each message says what happened and what to do.

export type NixErrorKind =
  | 'no-builder' // neither local nix nor a build host
  | 'invalid-params' // a setting cannot go into homelab-params.nix
  | 'syntax' // nix-instantiate --parse refused a file
  | 'build-failed' // nix exited non-zero
  | 'no-output' // the build succeeded but no ISO was found
  | 'cancelled'
  | 'connection-lost' // SSH to the build host dropped mid-build
  | 'remote' // the build host cannot build (no nix, copy failed, ...)
  | 'eject-conflict'; // target already holds files the user owns

export class NixError extends Error {
  override name = 'NixError';
  constructor(readonly kind: NixErrorKind, message: string, readonly detail: Record<string, unknown> = {}) {
    super(message);
  }
}

export function isNixError(e: unknown, kind?: NixErrorKind): e is NixError {
  return e instanceof NixError && (kind === undefined || e.kind === kind);
}

/** One syntax error of one file, as nix-instantiate prints it. */
export interface NixSyntaxProblem {
  file: string;
  line?: number;
  column?: number;
  /** First line of nix's message, e.g. `syntax error, unexpected '}', expecting ';'`. */
  message: string;
  /** Nix's full output (with the code excerpt), for the terminal or a hover. */
  output: string;
}

export class NixSyntaxError extends NixError {
  override name = 'NixSyntaxError';
  constructor(readonly problems: NixSyntaxProblem[]) {
    super('syntax', problems.map((p) => `${p.file}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}: ${p.message}`).join('\n'));
  }
}

/** The explanation shown when no build is possible: the two ways to get one. */
export const NO_BUILDER_MESSAGE =
  'Building the NixOS ISO needs Nix, and none was found. Either install Nix on this machine ' +
  '(https://nixos.org/download, then enable flakes: add "experimental-features = nix-command flakes" to ~/.config/nix/nix.conf), ' +
  'or set "homelab.nix.buildHost" to a machine with Nix that you reach over SSH (e.g. "user@nixbox"): ' +
  'Homelab copies the flake there, builds, and fetches the ISO back.';

export function noBuilderError(): NixError {
  return new NixError('no-builder', NO_BUILDER_MESSAGE);
}
