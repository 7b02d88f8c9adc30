import { execFileSync } from 'node:child_process';

/** Evaluates a .nix file (no nixpkgs needed) to JSON with Debian's nix-instantiate. */
export function evalNixFile(file: string): unknown {
  const out = execFileSync('nix-instantiate', ['--eval', '--strict', '--json', file, '--option', 'build-users-group', '', '--store', 'dummy://'], { encoding: 'utf8' });
  return JSON.parse(out);
}
