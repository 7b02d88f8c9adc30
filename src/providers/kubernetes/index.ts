// The Kubernetes providers as one module: the extension bundles it separately (dist/kubernetes.js,
// with @kubernetes/client-node) and loads it on first use of the Kubernetes view.
export * as actions from './actions';
export * as client from './client';
export * as errors from './errors';
export * as informer from './informer';
export * as kubeconfig from './kubeconfig';
export * as resources from './resources';
export * as portforward from './portforward';
export * as events from './events';
export * as rollout from './rollout';
export * as podexec from './podexec';
