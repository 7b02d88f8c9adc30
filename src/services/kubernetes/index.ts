export { KubernetesSession, type ObjectsChange, type WatchDemand, type WatchError, type WatchStatus } from './session';
export type { KubernetesModules } from './modules';
