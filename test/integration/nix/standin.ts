// The `nix` stand-in (test/fixtures/nix-standin/nix) copied into a temp dir per test: its calls,
// mode (ok | fail | hang | no-iso) and ISO size are per copy.
import { copyFileSync, chmodSync, mkdirSync, symlinkSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

const TOOLS = ['bash', 'sh', 'env', 'sed', 'head', 'tail', 'cat', 'date', 'mkdir', 'truncate', 'dd', 'ln', 'sleep', 'tar', 'rm', 'dirname', 'stat', 'sha256sum', 'readlink', 'printf'];

export const RES = resolve(__dirname, '../../../resources/nix');

export interface StandIn {
  dir: string;
  nix: string;
  /** PATH with the stand-in first and nothing else that holds a nix. */
  env: NodeJS.ProcessEnv;
  setMode(m: 'ok' | 'fail' | 'hang' | 'no-iso'): void;
  setSize(bytes: number): void;
  calls(): string[][];
  pidOf(what: 'child' | 'nix'): number | undefined;
  /** A staged flake dir (copy of resources/nix). */
  flake: string;
  cleanup(): void;
}

export function makeStandIn(): StandIn {
  const dir = mkdtempSync(join(tmpdir(), 'nix-standin-'));
  const bin = join(dir, 'bin');
  cpSync(resolve(__dirname, '../../fixtures/nix-standin'), bin, { recursive: true });
  chmodSync(join(bin, 'nix'), 0o755);
  const flake = join(dir, 'flake');
  cpSync(RES, flake, { recursive: true });
  // The system tools the stand-in and the build use, but no other nix (Debian's is in /usr/bin).
  const sys = join(dir, 'sysbin');
  mkdirSync(sys);
  for (const tool of TOOLS) {
    const at = (process.env.PATH ?? '').split(delimiter).map((d) => join(d, tool)).find((f) => existsSync(f));
    if (at) symlinkSync(at, join(sys, tool));
  }
  const sysPath = [sys];
  return {
    dir, nix: join(bin, 'nix'), flake,
    env: { ...process.env, PATH: [bin, ...sysPath].join(delimiter) },
    setMode: (m) => writeFileSync(join(bin, 'mode'), m),
    setSize: (n) => writeFileSync(join(bin, 'size'), String(n)),
    calls: () => (existsSync(join(bin, 'calls.log')) ? readFileSync(join(bin, 'calls.log'), 'utf8').trim().split('\n').map((l) => l.split('\t').slice(1)) : []),
    pidOf: (what) => {
      const f = join(bin, `${what}.pid`);
      return existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) : undefined;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitFor(pred: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timeout waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export { copyFileSync };
