// `tsx test/proxmox-sim/cli.ts --port 8006 --nodes 3 --guests 50 --seed 1 [--task-ms N] [--auth-delay-ms N] [--lab 1]`
// Prints ONE JSON line with the connection details, serves until SIGINT/SIGTERM.
import { startSimulator, type SimulatorOptions } from './index';

const FLAGS: Record<string, keyof SimulatorOptions> = {
  '--port': 'port', '--nodes': 'nodes', '--guests': 'guests', '--seed': 'seed', '--task-ms': 'taskDurationMs',
  '--auth-delay-ms': 'authFailDelayMs', '--agent-delay-ms': 'agentBootDelayMs', '--lock-timeout-ms': 'lockTimeoutMs',
  '--install-ms': 'installDurationMs', '--lab': 'lab',
};

function parseArgs(argv: string[]): SimulatorOptions {
  const o: SimulatorOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const key = FLAGS[flag];
    const val = inline ?? argv[++i];
    if (!key || val === undefined || !/^\d+$/.test(val)) {
      process.stderr.write(`usage: cli.ts ${Object.keys(FLAGS).map((f) => `[${f} N]`).join(' ')}\n(bad argument: ${argv[i - (inline ? 0 : 1)] ?? ''})\n`);
      process.exit(2);
    }
    (o as Record<string, unknown>)[key] = key === 'lab' ? val !== '0' : Number(val);
  }
  return o;
}

async function main(): Promise<void> {
  const sim = await startSimulator({ port: 0, ...parseArgs(process.argv.slice(2)) });
  const { url, tokenId, tokenSecret, auditTokenId, auditTokenSecret, user, password, fingerprint } = sim;
  process.stdout.write(JSON.stringify({ url, tokenId, tokenSecret, auditTokenId, auditTokenSecret, user, password, fingerprint }) + '\n');
  const stop = () => {
    sim.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`proxmox-sim: ${(e as Error)?.message ?? e}\n`);
  process.exit(1);
});
