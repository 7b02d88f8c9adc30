// Pod exec bound to a local process environment (`bindExec`): the exec runs the REAL command here
// (`spawn(command[0], rest, { env, cwd })`), its stdin/stdout/stderr streamed binary-safe over the
// channel.k8s.io framing (0 stdin, 1 stdout, 2 stderr, 3 status; v5's 255 closes stdin), and its
// exit status sent on channel 3 as kubelet + kube-apiserver send it. When the WebSocket closes
// (the client went, or a test cut it) the process group is killed, as a container's exec session
// ends with its stream. Output waits for the client (no unbounded buffering): stdout/stderr are
// paused while more than a few MB are in flight on the socket, stdin pauses the socket when the
// process does not keep up.
import { spawn } from 'node:child_process';
import type { JsonObject } from './patch';
import type { WsSocket } from './ws';

export interface ExecBinding { env?: Record<string, string>; cwd?: string }

/** What a test can do to a running bound exec. */
export interface BoundExec { pod: string; cut(): void }

const HIGH_WATER = 4 * 1024 * 1024;

/** The Status kubelet sends on channel 3 for an exit code (0: Success). */
export function exitStatus(code: number): JsonObject {
  return code === 0
    ? { metadata: {}, status: 'Success' }
    // the text kube-apiserver 1.32 relays from the kubelet (seen on /work/shared/k8s's cluster)
    : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: command terminated with exit code ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code) }] } };
}

interface PausableWs extends WsSocket { pause?(): void; resume?(): void; readonly bufferedAmount: number }

export function runBoundExec(ws: WsSocket, ctx: { pod: string; command: string[]; stdin: boolean; binding: ExecBinding }): BoundExec {
  const sock = ws as PausableWs;
  const [prog, ...args] = ctx.command;
  let finished = false;
  let inFlight = 0;
  const child = spawn(prog, args, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...ctx.binding.env },
    cwd: ctx.binding.cwd,
    stdio: [ctx.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: a closed stream kills the whole tree (sh -c 'a | b')
  });
  const killGroup = () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid, 'SIGKILL'); } catch { try { child.kill('SIGKILL'); } catch { /* gone */ } }
  };
  const outputs = [child.stdout!, child.stderr!];
  const send = (ch: number, data: Buffer) => {
    if (finished || ws.readyState !== 1) return;
    inFlight += data.length;
    if (inFlight > HIGH_WATER) for (const o of outputs) o.pause();
    ws.send(Buffer.concat([Buffer.from([ch]), data]), () => {
      inFlight -= data.length;
      if (inFlight <= HIGH_WATER / 2) for (const o of outputs) o.resume();
    });
  };
  child.stdout!.on('data', (d: Buffer) => send(1, d));
  child.stderr!.on('data', (d: Buffer) => send(2, d));

  const sendStatus = (st: JsonObject) => {
    if (finished) return;
    finished = true;
    if (ws.readyState === 1) { ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(st))])); ws.close(1000); }
  };
  child.on('error', (e: NodeJS.ErrnoException) => {
    // what containerd reports for a command that is not there
    sendStatus(e.code === 'ENOENT'
      ? { metadata: {}, status: 'Failure', message: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${prog}": executable file not found in $PATH: unknown`, reason: 'InternalError' }
      : { metadata: {}, status: 'Failure', message: `OCI runtime exec failed: ${e.message}: unknown`, reason: 'InternalError' });
  });
  // 'close': the process exited AND its stdout/stderr were read to the end, so every byte was sent first
  child.on('close', (code, signal) => {
    // a process killed by a signal exits as the shell reports it: 128 + the signal number
    const n = code ?? 128 + (signal ? (({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0) : 0);
    const st = exitStatus(n);
    // As on a real node: stdin the process left unread (queued, or refused with EPIPE) keeps the
    // kubelet's stdin copy blocked, so no status comes and the stream stays open until the client
    // closes it. A command fed on stdin must read it all (or the client never learns the exit code).
    setTimeout(() => { if (!stdinStuck && !(child.stdin && child.stdin.writableLength > 0)) sendStatus(st); }, 20);
  });

  const stdin = child.stdin;
  let stdinStuck = false;
  let exited = false;
  child.on('exit', () => { exited = true; });
  stdin?.on('error', () => { stdinStuck = true; }); // EPIPE: the process stopped reading
  stdin?.on('drain', () => sock.resume?.());
  ws.on('message', (data) => {
    if (data.length === 0) return;
    const ch = data[0];
    if (ch === 0) {
      if (exited && data.length > 1) { stdinStuck = true; return; }
      if (stdin && !stdin.writableEnded && data.length > 1 && !stdin.write(data.subarray(1))) sock.pause?.();
    } else if (ch === 255 && data[1] === 0 && ws.protocol.startsWith('v5')) stdin?.end();
  });
  ws.on('close', () => {
    // v4 has no way to close stdin but closing the stream; either way the session is over
    finished = true;
    stdin?.end();
    killGroup();
  });
  ws.on('error', () => undefined);
  return { pod: ctx.pod, cut: () => { finished = true; ws.terminate(); killGroup(); } };
}
