// "Can this pod reach that database with these credentials?", answered by psql in the pod and told
// apart from its exit status and stderr: credentials refused, server unreachable, database missing.
// A failure of the exec itself (pod gone, RBAC refusing exec, stream cut) is thrown as it came.
import { Writable } from 'node:stream';
import { drainingStdin, pgCommand, passwordThen, scrub, tail } from './command';
import type { PodExec } from '../kubernetes/podexec';
import type { PgTarget } from './url';

export type ConnectionCheck =
  | { ok: true; version: string; sizeBytes: number }
  | { ok: false; reason: 'auth' | 'unreachable' | 'no-database' | 'other'; message: string };

/** libpq's messages (PostgreSQL 11-17) for each kind of refusal. */
const AUTH = /password authentication failed|no password supplied|fe_sendauth|role "[^"]*" does not exist|pg_hba\.conf|SCRAM|authentication method|Peer authentication failed|Ident authentication failed/i;
const NO_DB = /database "[^"]*" does not exist/i;
const UNREACHABLE = /could not connect to server|Connection refused|could not translate host name|Name or service not known|Temporary failure in name resolution|timeout expired|No route to host|Network is unreachable|Is the server running|server closed the connection unexpectedly|Connection timed out/i;

export function classifyPsqlFailure(exitCode: number, stderr: string): 'auth' | 'unreachable' | 'no-database' | 'other' {
  if (exitCode === 127 || /psql: (not found|No such file)/.test(stderr)) return 'other';
  if (NO_DB.test(stderr)) return 'no-database';
  if (AUTH.test(stderr)) return 'auth';
  if (UNREACHABLE.test(stderr)) return 'unreachable';
  return 'other';
}

export async function checkConnection(exec: PodExec, t: PgTarget, o: { signal?: AbortSignal } = {}): Promise<ConnectionCheck> {
  let text = '';
  const sink = new Writable({ write(c: Buffer, _e, cb) { if (text.length < 65536) text += c.toString('utf8'); cb(); } });
  const r = await exec(pgCommand(t, drainingStdin('psql -X -w -q -A -t -v ON_ERROR_STOP=1 --dbname="$1"')), {
    stdin: passwordThen(t, "SELECT current_setting('server_version') || '|' || pg_database_size(current_database());\n"),
    stdout: sink, signal: o.signal,
  });
  const stderr = scrub(r.stderr, t);
  if (r.exitCode === 0) {
    const line = text.trim().split('\n').pop() ?? '';
    const [version, size] = line.split('|');
    if (version && /^\d+$/.test(size ?? '')) return { ok: true, version, sizeBytes: Number(size) };
    return { ok: false, reason: 'other', message: `psql answered something unexpected: ${line.slice(0, 200)}` };
  }
  const reason = classifyPsqlFailure(r.exitCode, stderr);
  const where = `${t.user}@${t.host}:${t.port}/${t.database}`;
  const detail = tail(stderr, 3) || `psql exited with ${r.exitCode}`;
  const message = reason === 'auth' ? `The database server refused the credentials of ${where}: ${detail}`
    : reason === 'no-database' ? `The database "${t.database}" does not exist on ${t.host}:${t.port}: ${detail}`
      : reason === 'unreachable' ? `The database server ${t.host}:${t.port} cannot be reached from the pod: ${detail}`
        : r.exitCode === 127 ? 'psql is not available in the pod (exit 127): the pod needs a PostgreSQL image.'
          : `psql failed (exit ${r.exitCode}): ${detail}`;
  return { ok: false, reason, message: scrub(message, t) };
}
