// SSH provider: known hosts, sessions (exec, PTY shells), user keys, waiting for a guest's sshd.
export * from './errors';
export { sha256Fingerprint, keyTypeOfBlob } from './fingerprint';
export * from './known-hosts';
export * from './host-verifier';
export * from './session';
export * from './keys';
export * from './wait';
