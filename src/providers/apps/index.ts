// The application kit and Deploy Application, bundled with the Kubernetes providers
// (src/providers/kubernetes/index.ts exports this as `apps`) so their KubeErrors are the session's.
export * from './kit';
export * from './deploy';
