export { KubernetesSession, type ObjectsChange, type WatchDemand, type WatchError, type WatchStatus } from './session';
export type { KubernetesModules } from './modules';
export { PortForwards, PortInUseError, type PortForwardInfo, type PortForwardState, type PortForwardTarget } from './port-forwards';
