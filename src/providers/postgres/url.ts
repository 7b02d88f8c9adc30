// PostgreSQL connection URLs (the app's DATABASE_URL): parsed into their parts and formatted back.
// Error messages name the part that is wrong and never contain the password. No vscode here.

export interface PgTarget { host: string; port: number; database: string; user: string; password: string; params: Record<string, string> }

const fail = (m: string): never => { throw new Error(`DATABASE_URL ${m}`); };

function decode(part: string, what: string): string {
  try { return decodeURIComponent(part); } catch { return fail(`has a badly percent-encoded ${what}.`); }
}

/** Parses postgresql:// (or postgres://) URLs; throws a clear Error for anything else. */
export function parseDatabaseUrl(url: string): PgTarget {
  if (typeof url !== 'string' || !url.trim()) fail('is empty.');
  const text = url.trim();
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(text)?.[1]?.toLowerCase();
  if (scheme !== 'postgresql' && scheme !== 'postgres') fail(`must start with postgresql:// (or postgres://)${scheme ? `, not ${scheme}://` : ''}.`);
  if (/\s/.test(text)) fail('must not contain spaces (percent-encode them as %20).');
  let u: URL;
  try { u = new URL(text); } catch { return fail('is not a valid URL: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE.'); }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) fail('has no host: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE.');
  const port = u.port ? Number(u.port) : 5432;
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail('has a port outside 1-65535.');
  const user = decode(u.username, 'user name');
  if (!user) fail('has no user name: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE.');
  const password = decode(u.password, 'password');
  const database = decode(u.pathname.replace(/^\//, ''), 'database name');
  if (!database) fail('has no database name: expected postgresql://USER:PASSWORD@HOST:PORT/DATABASE.');
  if (database.includes('/')) fail('has a "/" in the database name.');
  const params: Record<string, string> = {};
  for (const [k, v] of u.searchParams) params[k] = v;
  return { host, port, database, user, password, params };
}

/** The URL of a target (user, password and database percent-encoded; IPv6 hosts bracketed). */
export function formatDatabaseUrl(t: PgTarget): string {
  const enc = encodeURIComponent;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  const cred = t.user ? `${enc(t.user)}${t.password ? `:${enc(t.password)}` : ''}@` : '';
  const q = new URLSearchParams(t.params).toString();
  return `postgresql://${cred}${host}:${t.port}/${enc(t.database)}${q ? `?${q}` : ''}`;
}
