// Database migration streaming: a ~1 GB database on a REAL local PostgreSQL server, backed up by
// dumpToFile (pg_dump -Fc streamed through the Kubernetes exec WebSocket of the API test server,
// which runs in its own process with the pod bound to local processes) and restored by
// restoreFromFile (pg_restore fed through the same exec) into a second real server; in the same run
// the same work done directly: `pg_dump -Fc -f`, `pg_restore -d`, and `pg_dump -Fc | pg_restore`.
// Goals: >= 0.8 of direct speed for backup and for restore; < 64 MB peak RSS growth of this (the
// client's) process while streaming. The restored copy is verified (fingerprints equal). JSON on
// the last line.
//   npx tsx bench/db-migration.ts [--mb 1024] [--runs 2]
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { KubeClient } from '../src/providers/kubernetes/client';
import { connectionFor, loadKubeconfig } from '../src/providers/kubernetes/kubeconfig';
import { podExec } from '../src/providers/kubernetes/podexec';
import { compareFingerprints, dumpToFile, fingerprint, parseDatabaseUrl, restoreFromFile, type PgTarget } from '../src/providers/postgres';
import { conninfo } from '../src/providers/postgres/command';
import { PG_BIN, startPostgres, type PgServer } from '../test/harness/postgres';
import { fillDatabase } from '../test/harness/pg-data';

const arg = (name: string, def: number) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? Number(process.argv[i + 1]) || def : def; };
const MB = arg('mb', 1024);
const RUNS = arg('runs', 2);
const run = promisify(execFile);

/** Bulk data up to about MB megabytes on disk: rows of ~1 KB of hash text (compresses like real text, not like zeros). */
async function fillBulk(pg: PgServer, mb: number): Promise<void> {
  await pg.psql('CREATE TABLE public.bulk (id bigint PRIMARY KEY, body text NOT NULL, n numeric NOT NULL, at timestamptz NOT NULL)');
  const batch = 100_000;
  for (let start = 1; ; start += batch) {
    const size = Number((await pg.psql("SELECT pg_database_size(current_database())")).trim());
    if (size >= mb * 2 ** 20) break;
    await pg.psql(`INSERT INTO public.bulk SELECT i, encode(sha512(i::text::bytea) || sha512((i + 1)::text::bytea) || sha512((i * 7)::text::bytea), 'base64') || ' ' || md5(i::text) || repeat(chr(1024 + i % 200), 200 + i % 100),
      i * 3.14159265358979, timestamptz '2024-01-01' + i * interval '1 second' FROM generate_series(${start}, ${start + batch - 1}) i`);
  }
  await pg.psql('ANALYZE');
}

function pgEnv(t: PgTarget): NodeJS.ProcessEnv { return { ...process.env, PGPASSWORD: t.password }; }

async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, value };
}

/** Peak RSS growth over `base` while fn runs (sampled every 20 ms). */
async function withMemory<T>(fn: () => Promise<T>): Promise<{ value: T; peakMB: number }> {
  if (global.gc) global.gc();
  const base = process.memoryUsage().rss;
  let peak = 0;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss - base); }, 20);
  try { return { value: await fn(), peakMB: Math.round((peak / 2 ** 20) * 10) / 10 }; } finally { clearInterval(timer); }
}

async function startServer(kubeconfig: string): Promise<{ stop(): Promise<void>; namespace: string; pod: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, 'lib/exec-server.ts'), kubeconfig], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((res, rej) => {
    createInterface({ input: child.stdout! }).once('line', res);
    child.once('exit', (c) => rej(new Error(`exec server exited ${c}`)));
  });
  const info = JSON.parse(line) as { namespace: string; pod: string };
  return { ...info, stop: () => new Promise((r) => { if (child.exitCode !== null) { r(); return; } child.once('exit', () => r()); child.kill('SIGTERM'); }) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-db-migration-'));
  const [source, target] = await Promise.all([startPostgres({ database: 'app' }), startPostgres({ database: 'postgres' })]);
  const server = await startServer(join(dir, 'kubeconfig'));
  const client = new KubeClient(connectionFor(loadKubeconfig({ paths: [join(dir, 'kubeconfig')] })));
  try {
    console.log(`filling the source database to about ${MB} MB...`);
    const tf = await timed(async () => { await fillDatabase(source); await fillBulk(source, MB); });
    const dbBytes = Number((await source.psql('SELECT pg_database_size(current_database())')).trim());
    console.log(`  ${(dbBytes / 2 ** 20).toFixed(0)} MB in ${tf.seconds.toFixed(0)} s`);
    for (const name of ['warm', 'r_pipe']) await target.psql(`CREATE DATABASE ${name}`);
    const src = parseDatabaseUrl(source.url);
    const tgt = (database: string): PgTarget => ({ ...parseDatabaseUrl(target.url), database });
    const exec = podExec(client, server.namespace, server.pod, 'postgres');

    // Warm-up (TLS, WebSocket, JIT) on a small database, so the memory baseline is the steady state.
    await source.psql('CREATE DATABASE warmsrc');
    await source.psql('CREATE TABLE t AS SELECT i, md5(i::text) FROM generate_series(1, 10000) i', { database: 'warmsrc' });
    await dumpToFile(exec, { ...src, database: 'warmsrc' }, join(dir, 'warm.dump'), {});
    await restoreFromFile(exec, tgt('warm'), join(dir, 'warm.dump'), {});

    const direct = join(dir, 'direct.dump');
    const ours = join(dir, 'ours.dump');
    const restoreArgs = ['-w', '--no-owner', '--no-privileges', '--exit-on-error'];
    // The machine is shared: runs alternate (direct, ours, ours, direct, ...) and each side's best counts.
    const dDumps: number[] = []; const oDumps: number[] = []; const dRestores: number[] = []; const oRestores: number[] = [];
    let dumpPeak = 0; let restorePeak = 0;
    const directDump = async () => { rmSync(direct, { force: true }); dDumps.push((await timed(() => run(join(PG_BIN, 'pg_dump'), ['-w', '-Fc', '-f', direct, '-d', conninfo(src)], { env: pgEnv(src) }))).seconds); };
    const oursDump = async () => { rmSync(ours, { force: true }); rmSync(`${ours}.sha256`, { force: true }); const m = await withMemory(() => timed(() => dumpToFile(exec, src, ours, {}))); oDumps.push(m.value.seconds); dumpPeak = Math.max(dumpPeak, m.peakMB); };
    let db = 0;
    const freshDb = async () => { const name = `r_${db++}`; await target.psql(`CREATE DATABASE ${name}`); return name; };
    const directRestore = async () => { const name = await freshDb(); dRestores.push((await timed(() => run(join(PG_BIN, 'pg_restore'), [...restoreArgs, '-d', conninfo(tgt(name)), direct], { env: pgEnv(tgt(name)) }))).seconds); await target.psql(`DROP DATABASE ${name}`); };
    let lastOurs = '';
    const oursRestore = async () => { const name = await freshDb(); const m = await withMemory(() => timed(() => restoreFromFile(exec, tgt(name), ours, {}))); oRestores.push(m.value.seconds); restorePeak = Math.max(restorePeak, m.peakMB); if (lastOurs) await target.psql(`DROP DATABASE ${lastOurs}`); lastOurs = name; };
    for (let i = 0; i < RUNS; i++) {
      console.log(`run ${i + 1}/${RUNS}: backup (pg_dump -Fc -f, dumpToFile through pod exec)...`);
      if (i % 2 === 0) { await directDump(); await oursDump(); } else { await oursDump(); await directDump(); }
      console.log(`run ${i + 1}/${RUNS}: restore (pg_restore -d, restoreFromFile through pod exec)...`);
      if (i % 2 === 0) { await directRestore(); await oursRestore(); } else { await oursRestore(); await directRestore(); }
    }
    const best = (xs: number[]) => Math.min(...xs);
    const dDump = { seconds: best(dDumps) }; const oDump = { value: { seconds: best(oDumps) }, peakMB: dumpPeak };
    const dRestore = { seconds: best(dRestores) }; const oRestore = { value: { seconds: best(oRestores) }, peakMB: restorePeak };
    console.log('pipe: pg_dump -Fc | pg_restore (direct)...');
    const pipeT = await timed(() => run('sh', ['-c', `"${PG_BIN}/pg_dump" -w -Fc -d "$1" | PGPASSWORD="$3" "${PG_BIN}/pg_restore" ${restoreArgs.join(' ')} -d "$2"`, 'sh', conninfo(src), conninfo(tgt('r_pipe')), target.password], { env: pgEnv(src) }));
    console.log('verifying the restored copy...');
    const [fa, fb] = await Promise.all([fingerprint(exec, src), fingerprint(exec, tgt(lastOurs))]);
    const diffs = compareFingerprints(fa, fb);

    const r2 = (x: number) => Math.round(x * 100) / 100;
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    const dumpMB = statSync(ours).size / 2 ** 20;
    const result = {
      bench: 'db-migration', databaseMB: Math.round(dbBytes / 2 ** 20), dumpMB: Math.round(dumpMB),
      runs: RUNS,
      runsSeconds: { directDump: dDumps.map(r2), oursDump: oDumps.map(r2), directRestore: dRestores.map(r2), oursRestore: oRestores.map(r2) },
      backup: { oursSeconds: r2(oDump.value.seconds), directSeconds: r2(dDump.seconds), ratio: r3(dDump.seconds / oDump.value.seconds), peakRssGrowthMB: oDump.peakMB },
      restore: { oursSeconds: r2(oRestore.value.seconds), directSeconds: r2(dRestore.seconds), ratio: r3(dRestore.seconds / oRestore.value.seconds), peakRssGrowthMB: oRestore.peakMB },
      pipe: { directSeconds: r2(pipeT.seconds), oursBackupPlusRestoreSeconds: r2(oDump.value.seconds + oRestore.value.seconds), ratio: r3(pipeT.seconds / (oDump.value.seconds + oRestore.value.seconds)) },
      verified: diffs.length === 0,
      goals: { ratioMin: 0.8, memoryMaxMB: 64 },
    };
    const ok = result.backup.ratio >= 0.8 && result.restore.ratio >= 0.8 && result.backup.peakRssGrowthMB < 64 && result.restore.peakRssGrowthMB < 64 && result.verified;
    console.log(`  database ${result.databaseMB} MB, dump ${result.dumpMB} MB`);
    console.log(`  backup   ours ${result.backup.oursSeconds} s, pg_dump ${result.backup.directSeconds} s, ratio ${result.backup.ratio} (goal >= 0.8), peak RSS growth ${result.backup.peakRssGrowthMB} MB (goal < 64)`);
    console.log(`  restore  ours ${result.restore.oursSeconds} s, pg_restore ${result.restore.directSeconds} s, ratio ${result.restore.ratio} (goal >= 0.8), peak RSS growth ${result.restore.peakRssGrowthMB} MB (goal < 64)`);
    console.log(`  pipe     pg_dump | pg_restore ${result.pipe.directSeconds} s vs ours backup + restore ${result.pipe.oursBackupPlusRestoreSeconds} s (ratio ${result.pipe.ratio}; ours writes a verified file in between)`);
    console.log(`  copy verified: ${result.verified ? 'fingerprints equal' : diffs.slice(0, 5).join('; ')}`);
    console.log(`  ${ok ? 'goals met' : 'GOALS NOT MET'}`);
    console.log(JSON.stringify({ ...result, ok }));
  } finally {
    client.close();
    await server.stop();
    await Promise.all([source.stop(), target.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
