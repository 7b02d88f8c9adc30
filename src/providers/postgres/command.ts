// How a PostgreSQL client tool runs in a pod without the password on a command line (exec command
// lines end up in the apiserver's audit log and in `ps`): `sh -c '<script>' sh <conninfo>`, the
// script reads the password from the first line of stdin into PGPASSWORD, and the conninfo argument
// carries everything else (host, port, database, user, libpq parameters), never the password.
import { Readable } from 'node:stream';
import type { PgTarget } from './url';

/** A libpq conninfo value, quoted ('...' with \ and ' escaped). */
function quote(v: string): string { return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`; }

/** The conninfo string for `-d` (no password in it, whatever the params hold). */
export function conninfo(t: PgTarget): string {
  const parts: [string, string][] = [['host', t.host], ['port', String(t.port)], ['dbname', t.database], ['user', t.user]];
  // an unreachable host fails in seconds, not after the kernel's TCP timeout
  if (!('connect_timeout' in t.params)) parts.push(['connect_timeout', '10']);
  for (const [k, v] of Object.entries(t.params)) if (k !== 'password' && /^[a-z_]+$/.test(k)) parts.push([k, v]);
  return parts.map(([k, v]) => `${k}=${quote(v)}`).join(' ');
}

/**
 * `sh -c` running `tool` (a shell fragment whose database argument is "$1") after reading the
 * password from stdin's first line. The rest of stdin goes on to the tool.
 */
export function pgCommand(t: PgTarget, tool: string): string[] {
  const script = `IFS= read -r PGPASSWORD; export PGPASSWORD; PGCONNECT_TIMEOUT=10; export PGCONNECT_TIMEOUT; ${tool}`;
  return ['sh', '-c', script, 'sh', conninfo(t)];
}

/**
 * A tool fed on stdin, then the rest of stdin read away: on a real node a process that exits early
 * (pg_restore --exit-on-error, psql ON_ERROR_STOP) leaves its unread input blocking the kubelet's
 * stdin copy, and the exec never reports the exit status. Keeps the tool's exit code.
 */
export function drainingStdin(tool: string): string {
  return `${tool}; rc=$?; cat >/dev/null; exit $rc`;
}

/** The password line, then the rest of stdin (a dump file, SQL), as one stream. */
export function passwordThen(t: PgTarget, rest?: Readable | string): Readable {
  if (/[\r\n]/.test(t.password)) throw new Error('The database password contains a line break, which cannot be passed to the PostgreSQL tools.');
  const line = Buffer.from(`${t.password}\n`);
  if (rest === undefined || typeof rest === 'string') return Readable.from([line, ...(rest ? [Buffer.from(rest)] : [])], { objectMode: false });
  return Readable.from((async function* () { yield line; for await (const c of rest) yield c as Buffer; })(), { objectMode: false });
}

/** Removes the password from text that came back from the pod (stderr), in case a tool echoed it. */
export function scrub(text: string, t: PgTarget): string {
  return t.password ? text.split(t.password).join('***') : text;
}

/** The last lines of stderr, for a message. */
export function tail(text: string, lines = 6): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
