// Syntax check of .nix files with nix-instantiate --parse (Debian's nix-bin is enough: no store,
// no nixpkgs, no network). A broken file is reported as file:line:col with nix's own message.
import { execFile } from 'node:child_process';
import { NixError, NixSyntaxError, type NixSyntaxProblem } from './errors';

export interface SyntaxCheckOptions {
  /** Default `nix-instantiate` from PATH. */
  nixInstantiate?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const ARGS = ['--option', 'build-users-group', '', '--store', 'dummy://'];

/** Parses nix's `error: ...\n\n at FILE:LINE:COL:` output. */
export function parseNixError(file: string, output: string): NixSyntaxProblem {
  const text = output.replace(/\x1b\[[0-9;]*m/g, '');
  const first = /error:\s*(.*)/.exec(text)?.[1]?.trim() ?? (text.trim().split('\n')[0] || 'nix-instantiate failed');
  const at = /\bat (?:«[^»]*»|(.+?)):(\d+):(\d+)/.exec(text);
  return {
    file: at?.[1] ?? file,
    line: at ? Number(at[2]) : undefined,
    column: at ? Number(at[3]) : undefined,
    message: first,
    output: text.trim(),
  };
}

function parseOne(file: string, o: SyntaxCheckOptions): Promise<NixSyntaxProblem | undefined> {
  const exe = o.nixInstantiate ?? 'nix-instantiate';
  return new Promise((resolve, reject) => {
    execFile(exe, ['--parse', file, ...ARGS], { env: o.env ?? process.env, timeout: o.timeoutMs ?? 30_000, maxBuffer: 16 * 2 ** 20 }, (err, _stdout, stderr) => {
      if (!err) return resolve(undefined);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        return reject(new NixError('remote', `${exe} was not found: install Nix, or on Debian/Ubuntu "apt-get install nix-bin", to check .nix files.`));
      }
      resolve(parseNixError(file, String(stderr)));
    });
  });
}

/** Returns every problem (empty when all files parse). Only .nix files are checked. */
export async function checkNixSyntax(files: readonly string[], o: SyntaxCheckOptions = {}): Promise<NixSyntaxProblem[]> {
  const out: NixSyntaxProblem[] = [];
  for (const f of files.filter((x) => x.endsWith('.nix'))) {
    const p = await parseOne(f, o);
    if (p) out.push(p);
  }
  return out;
}

/** Throws NixSyntaxError listing every broken file. */
export async function assertNixSyntax(files: readonly string[], o: SyntaxCheckOptions = {}): Promise<void> {
  const problems = await checkNixSyntax(files, o);
  if (problems.length) throw new NixSyntaxError(problems);
}
