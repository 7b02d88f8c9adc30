// Pod exec over WebSocket with the channel.k8s.io framing (v4: channels 0 stdin, 1 stdout,
// 2 stderr, 3 error/status, 4 resize; v5 adds 255 = close a channel). The "container" runs a
// tiny sh-like interpreter: echo, cat, pwd, hostname, whoami, env, stty size, true, false, exit N.
import { JsonObject } from './patch';
import { WsSocket } from './ws';
import { exitStatus } from './exec-bound';

export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

export interface ExecContext { pod: string; container: string; env: Record<string, string>; command: string[]; stdin: boolean; tty: boolean }

export function runExec(ws: WsSocket, ctx: ExecContext): void {
  let size = { cols: 80, rows: 24 };
  let stdinBuf = '';
  let stdinClosed = false;
  let finished = false;
  const out = (ch: number, text: string) => { if (!finished && text) ws.send(Buffer.concat([Buffer.from([ch]), Buffer.from(text)])); };
  const finish = (code: number) => {
    if (finished) return;
    const status: JsonObject = exitStatus(code);
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(status))]));
    finished = true;
    ws.close(1000);
  };

  /** Runs one shell line; returns an exit code, or 'exit' with code. */
  const runLine = (line: string): { code: number; exit?: boolean } => {
    const words = line.trim().split(/\s+/).filter(Boolean);
    if (!words.length) return { code: 0 };
    const [cmd, ...args] = words;
    switch (cmd) {
      case 'echo': out(1, args.join(' ') + '\n'); return { code: 0 };
      case 'pwd': out(1, '/\n'); return { code: 0 };
      case 'hostname': out(1, ctx.pod + '\n'); return { code: 0 };
      case 'whoami': out(1, 'root\n'); return { code: 0 };
      case 'env': case 'printenv':
        out(1, Object.entries({ HOSTNAME: ctx.pod, ...ctx.env }).map(([k, v]) => `${k}=${v}\n`).join('')); return { code: 0 };
      case 'stty': if (args[0] === 'size') { out(1, `${size.rows} ${size.cols}\n`); return { code: 0 }; } return { code: 0 };
      case 'true': return { code: 0 };
      case 'false': return { code: 1 };
      case 'exit': return { code: Number(args[0] ?? 0) || 0, exit: true };
      default: out(2, `sh: ${cmd}: not found\n`); return { code: 127 };
    }
  };

  const script = (text: string): number => {
    let code = 0;
    for (const line of text.split(/[;\n]/)) { const r = runLine(line); code = r.code; if (r.exit) break; }
    return code;
  };

  const [prog, ...argv] = ctx.command;
  const base = (prog ?? '').split('/').pop() ?? '';
  const isShell = base === 'sh' || base === 'bash' || base === 'ash';
  let mode: 'cat' | 'shell' | 'done' = 'done';
  if (isShell && argv[0] === '-c') { finish(script(argv.slice(1).join(' '))); return; }
  if (isShell) { mode = 'shell'; if (ctx.tty) out(1, '/ # '); }
  else if (base === 'cat' && argv.length === 0) mode = 'cat';
  else if (['echo', 'pwd', 'hostname', 'whoami', 'env', 'printenv', 'stty', 'true', 'false'].includes(base)) { finish(runLine(ctx.command.join(' ')).code); return; }
  else {
    ws.send(Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify({ metadata: {}, status: 'Failure', message: `OCI runtime exec failed: exec failed: unable to start container process: exec: "${prog}": executable file not found in $PATH: unknown`, reason: 'InternalError' }))]));
    finished = true; ws.close(1000); return;
  }

  const onStdinData = (text: string) => {
    if (mode === 'cat') { out(1, text); return; }
    if (ctx.tty) out(1, text.replace(/\r/g, '\r\n'));
    stdinBuf += text.replace(/\r/g, '\n');
    let i: number;
    while ((i = stdinBuf.indexOf('\n')) >= 0) {
      const line = stdinBuf.slice(0, i); stdinBuf = stdinBuf.slice(i + 1);
      const r = runLine(line);
      if (r.exit) { finish(r.code); return; }
      if (ctx.tty) out(1, '/ # ');
    }
  };
  const onStdinClosed = () => {
    if (stdinClosed) return;
    stdinClosed = true;
    if (mode === 'shell' && stdinBuf.trim()) { const r = runLine(stdinBuf); stdinBuf = ''; finish(r.code); return; }
    finish(0);
  };

  ws.on('message', (data) => {
    if (data.length === 0) return;
    const ch = data[0];
    const payload = data.subarray(1);
    if (ch === 0) { if (payload.length) onStdinData(payload.toString('utf8')); }
    else if (ch === 4) {
      // Go's encoding/json matches keys case-insensitively: {"Width":..} and {"width":..} both work
      try {
        const s = Object.fromEntries(Object.entries(JSON.parse(payload.toString('utf8')) as object).map(([k, v]) => [k.toLowerCase(), v])) as { width?: number; height?: number };
        size = { cols: Number(s.width ?? size.cols), rows: Number(s.height ?? size.rows) };
      } catch { /* ignore bad resize */ }
    } else if (ch === 255 && payload[0] === 0 && ws.protocol.startsWith('v5')) onStdinClosed();
  });
  ws.on('close', () => { finished = true; });
  if (!ctx.stdin) onStdinClosed();
}
