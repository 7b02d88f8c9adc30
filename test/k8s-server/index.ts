// Kubernetes API test server: see server.ts. Import from here.
export { startK8sServer } from './server';
export type { K8sServerOptions, K8sTestServer, RequestCounts } from './server';
export { writeKubeconfig, kubeconfigYaml } from './kubeconfig';
export type { KubeconfigSpec, KubeconfigContextSpec } from './kubeconfig';
export { Store, StoreError } from './store';
export type { K8sObject, StoreEvent } from './store';
export { makeTestPki, issueClientCert } from './certs';
export type { TestPki } from './certs';
