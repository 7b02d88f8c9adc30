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
