// PostgreSQL through a pod's exec (no vscode): URLs, backup/restore streamed to and from local
// files, fingerprints for verification, connection checks. The password never goes on a command
// line: see command.ts.
export { parseDatabaseUrl, formatDatabaseUrl, redactedDatabaseUrl, type PgTarget } from './url';
export type { ExecIo, PodExec } from '../kubernetes/podexec';
export { dumpToFile, restoreFromFile, sha256File, PgToolError, type StreamOptions } from './dump';
export { fingerprint, compareFingerprints, type DbFingerprint } from './fingerprint';
export { checkConnection, classifyPsqlFailure, type ConnectionCheck } from './connection';
export { verifyCustomArchive, type ArchiveSummary } from './archive';
