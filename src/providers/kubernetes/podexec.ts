// A non-interactive command in a container with its streams as Node streams, for moving data
// (a database dump in or out) rather than for a terminal: binary-safe, with backpressure both ways
// (a slow file pauses the socket; stdin is read only as fast as the socket sends), stdin's end
// signalled (v5: close frame on channel 255; v4 has none: the stream is closed instead), the exit
// code from the channel-3 Status, the tail of stderr kept (bounded).
import type { Readable, Writable } from 'node:stream';
import type { KubeClient } from './client';
import { KubeError } from './errors';
import { objectPath } from './resources';
import { openKubeSocket, type WsClientSocket } from './websocket';

export interface ExecIo { stdin?: Readable; stdout?: Writable; signal?: AbortSignal }
/** Runs a command in a pod (or, in tests, anything with the same contract); resolves with the exit code and stderr's tail. */
export type PodExec = (command: string[], io: ExecIo) => Promise<{ exitCode: number; stderr: string }>;

export const PODEXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
/** How much of stderr is kept (its end: where the error is). */
const STDERR_TAIL = 16 * 1024;
/** Stdin frames in flight on the socket before reading from the source pauses. */
const STDIN_HIGH_WATER = 1024 * 1024;

interface FlowSocket extends WsClientSocket { pause(): void; resume(): void; readonly bufferedAmount: number }

/** The exit code in a channel-3 Status (kubelet: Success, or NonZeroExitCode with an ExitCode cause). */
export function exitCodeOf(status: { status?: string; reason?: string; message?: string; details?: { causes?: { reason?: string; message?: string }[] } }): number | undefined {
  if (status.status === 'Success') return 0;
  const c = status.details?.causes?.find((x) => x.reason === 'ExitCode')?.message;
  return c !== undefined && /^\d+$/.test(c) ? Number(c) : undefined;
}

export function podExec(client: KubeClient, namespace: string, pod: string, container: string, o: { protocols?: string[] } = {}): PodExec {
  return async (command, io) => {
    if (!command.length) throw new KubeError('invalid', 'A command is required.');
    if (io.signal?.aborted) throw abortError();
    const q = new URLSearchParams();
    for (const c of command) q.append('command', c);
    if (container) q.set('container', container);
    q.set('stdin', io.stdin ? 'true' : 'false');
    q.set('stdout', 'true');
    q.set('stderr', 'true');
    const path = `${objectPath('pods', namespace, pod, 'exec')}?${q.toString()}`;

    let stderrTail = Buffer.alloc(0);
    let status: Parameters<typeof exitCodeOf>[0] | undefined;
    let stdoutError: Error | undefined;
    let sock: FlowSocket | undefined;
    let closed!: () => void;
    const closedP = new Promise<void>((r) => { closed = r; });
    const onFrame = (s: FlowSocket, data: Buffer) => {
      if (data.length === 0) return;
      const ch = data[0];
      const payload = data.subarray(1);
      if (ch === 1) {
        if (!payload.length || !io.stdout || stdoutError) return;
        // a slow destination (a file on a slow disk) pauses the socket, so the stream waits in the pod
        if (!io.stdout.write(payload)) { s.pause(); io.stdout.once('drain', () => s.resume()); }
      } else if (ch === 2) {
        stderrTail = Buffer.concat([stderrTail, payload]);
        if (stderrTail.length > STDERR_TAIL) stderrTail = stderrTail.subarray(stderrTail.length - STDERR_TAIL);
      } else if (ch === 3) {
        try { status = JSON.parse(payload.toString('utf8')) as typeof status; } catch { status = { status: 'Failure', message: payload.toString('utf8') }; }
        // the status is the last word: the command is over. A process that exits before reading all
        // its stdin (pg_restore --exit-on-error) leaves the stream open on a real cluster while input is
        // still queued (the kubelet waits for stdin), so the client closes it.
        s.close(1000);
        const t = setTimeout(() => s.terminate(), 2000);
        t.unref?.();
      }
    };
    const onStdoutError = (e: Error) => { stdoutError = e; sock?.terminate(); };
    io.stdout?.on('error', onStdoutError);
    const onAbort = () => sock?.terminate();
    io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      sock = await openKubeSocket(client, path, o.protocols ?? PODEXEC_PROTOCOLS, (s) => {
        s.on('message', (d) => onFrame(s as FlowSocket, d));
        s.on('close', () => closed());
        s.on('error', () => undefined); // the close that follows ends the run
      }) as FlowSocket;
      if (io.signal?.aborted) sock.terminate();
      if (io.stdin) pumpStdin(sock, io.stdin);
      await closedP;
      // resolved = every byte handed to the destination (not ended: the caller owns it)
      const dst = io.stdout;
      // (an empty write's callback runs once every earlier write was processed)
      if (dst && dst.writableLength > 0 && !dst.destroyed && !dst.writableEnded && !stdoutError) await new Promise<void>((r) => { dst.write(Buffer.alloc(0), () => r()); dst.once('close', r); });
    } finally {
      io.signal?.removeEventListener('abort', onAbort);
      io.stdout?.off('error', onStdoutError);
      if (io.stdin && !io.stdin.destroyed) io.stdin.destroy();
    }
    if (io.signal?.aborted) throw abortError();
    if (stdoutError) throw stdoutError;
    const stderr = stderrTail.toString('utf8');
    if (!status) throw new KubeError('unreachable', `The exec stream in pod ${namespace}/${pod} ended before the command reported an exit status (connection cut).`);
    const code = exitCodeOf(status);
    if (code === undefined) throw new KubeError('server', `The command could not run in pod ${namespace}/${pod}: ${status.message ?? 'unknown error'}`);
    return { exitCode: code, stderr };
  };
}

/** Sends stdin in frames as fast as the socket takes them, then signals its end. */
function pumpStdin(sock: FlowSocket, stdin: Readable): void {
  const v5 = sock.protocol.startsWith('v5');
  let inFlight = 0;
  let ended = false;
  stdin.on('data', (chunk: Buffer | string) => {
    if (sock.readyState !== 1) return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    inFlight += b.length;
    if (inFlight > STDIN_HIGH_WATER) stdin.pause();
    sock.send(Buffer.concat([Buffer.from([0]), b]), () => {
      inFlight -= b.length;
      if (inFlight <= STDIN_HIGH_WATER / 2 && !ended) stdin.resume();
    });
  });
  stdin.once('end', () => {
    ended = true;
    if (sock.readyState !== 1) return;
    // v5: close stdin only; v4 cannot say "end of input" but by closing the whole stream
    if (v5) sock.send(Buffer.from([255, 0]));
    else sock.close(1000);
  });
  stdin.once('error', () => sock.terminate());
}

function abortError(): Error {
  const e = new Error('The operation was cancelled.');
  e.name = 'AbortError';
  return e;
}
