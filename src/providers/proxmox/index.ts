// Public surface of the Proxmox provider (plain Node, no vscode).
export { ProxmoxClient, pathSegment, type ProxmoxAuth, type ConnectionOptions } from './client';
export { ProxmoxError, InvalidInputError, isProxmoxError, type ProxmoxErrorKind } from './errors';
export { encodeParams, type Params, type RequestOptions } from './transport';
export { parseUpid, followTask, type Upid, type TaskOutcome, type FollowOptions, type TaskApi } from './tasks';
export { fetchServerCertificate, type ServerCertificate } from './certificate';
export { clusterTrust, readCaFile, parseCaPem, CaFileError, type ClusterTrust } from './trust';
export {
  parseClusterUrl, validateTokenId, validateTokenSecret, validateFingerprint, normaliseFingerprint, type ClusterUrl,
} from './validate';
export type * from './types';
export { uploadIso, UploadError, RateMeter, formatRate, sha256File, multipartFrame, type UploadErrorKind, type UploadProgress, type UploadIsoOptions, type UploadResult, type UploadClient } from './upload';
export { planIsoRetention, deleteIsos, homelabIsoName, isoFileName, HOMELAB_ISO_RE, type RetentionPlan } from './retention';
export { openSerialConsole, serialConsoleReader, type SerialConsole, type SerialConsoleClient } from './serial';
// Issue 16: guests of both types, snapshots, backups, tags, notes, cloud-init edits, consoles, capabilities.
export { guestPath, guestRefOf, describeGuest, isGuestType, powerGuest, guestStatus, guestConfig, cloneGuest, cloneParams, migrateGuest, migrateParams, migrateCheck, convertToTemplate, deleteGuest, type GuestType, type GuestRef, type GuestApi, type PowerAction, type GuestStatus, type GuestConfig, type CloneOptions, type MigrateOptions, type MigrateCheck } from './guests';
export { ConfigChangedError, GuestLockedError, ConsoleUnavailableError, classifyGuestError, lockOf, isDigestMismatch } from './guest-errors';
export { GUEST_CAPABILITIES, refusal, allowedActions, factsOf, configFacts, type GuestAction, type GuestFacts, type PowerState } from './capabilities';
export { checkSnapshotName, suggestSnapshotName, buildSnapshotTree, rollbackLoss, listSnapshots, snapshotParams, createSnapshot, rollbackSnapshot, deleteSnapshot, setSnapshotDescription, snapshotConfig, configChanges, SNAPSHOT_NAME_MAX, type SnapshotInfo, type SnapshotNode, type CreateSnapshotOptions } from './snapshots';
export { parseBackupVolid, backupStorages, listBackups, listGuestBackups, backupParams, startBackup, restoreParams, restoreBackup, setBackupProtected, setBackupNotes, deleteBackup, backupJobs, jobCovers, nextBackupOf, guestsWithoutBackup, type BackupVolume, type BackupName, type BackupMode, type BackupCompression, type BackupOptions, type RestoreOptions, type BackupJob } from './backups';
export { checkTag, parseTags, formatTags, addTag, removeTag, parseTagStyle, derivedTagColor, textColorFor, tagColor, clusterTagStyle, setGuestTags, DEFAULT_TAG_STYLE, type TagStyle } from './tags';
export { readNotes, saveNotes, NOTES_MAX, type GuestNotes } from './notes';
export { cloudInitParams, readCloudInit, applyCloudInit, regenerateCloudInit, type CloudInitEdit } from './cloud-init-edit';
export { openConsole, inputFrame, resizeFrame, type ConsoleSession, type ConsoleTarget, type ConsoleApi, type OpenConsoleOptions } from './console';
