// Writes kubeconfig files for tests (embedded CA and credentials, like K3s' k3s.yaml).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml: { dump(o: unknown): string } = require('js-yaml');

export interface KubeconfigContextSpec {
  name: string;
  server: string;
  caPem?: string;
  /** A path instead of embedded data (to test missing referenced files). */
  caFile?: string;
  token?: string;
  clientCertPem?: string;
  clientKeyPem?: string;
  clientCertFile?: string;
  clientKeyFile?: string;
  /** An exec credential plugin (client.authentication.k8s.io/v1). */
  exec?: { command: string; args?: string[]; env?: { name: string; value: string }[] };
  namespace?: string;
}
export interface KubeconfigSpec { contexts: KubeconfigContextSpec[]; currentContext?: string }

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function kubeconfigYaml(spec: KubeconfigSpec): string {
  const doc = {
    apiVersion: 'v1', kind: 'Config', preferences: {},
    'current-context': spec.currentContext ?? spec.contexts[0]?.name ?? '',
    clusters: spec.contexts.map((c) => ({
      name: c.name,
      cluster: { server: c.server, ...(c.caPem ? { 'certificate-authority-data': b64(c.caPem) } : {}), ...(c.caFile ? { 'certificate-authority': c.caFile } : {}) },
    })),
    users: spec.contexts.map((c) => ({
      name: c.name,
      user: {
        ...(c.token ? { token: c.token } : {}),
        ...(c.clientCertPem ? { 'client-certificate-data': b64(c.clientCertPem) } : {}),
        ...(c.clientKeyPem ? { 'client-key-data': b64(c.clientKeyPem) } : {}),
        ...(c.clientCertFile ? { 'client-certificate': c.clientCertFile } : {}),
        ...(c.clientKeyFile ? { 'client-key': c.clientKeyFile } : {}),
        ...(c.exec ? { exec: { apiVersion: 'client.authentication.k8s.io/v1', interactiveMode: 'Never', ...c.exec } } : {}),
      },
    })),
    contexts: spec.contexts.map((c) => ({ name: c.name, context: { cluster: c.name, user: c.name, ...(c.namespace ? { namespace: c.namespace } : {}) } })),
  };
  return yaml.dump(doc);
}

export function writeKubeconfig(path: string, spec: KubeconfigSpec): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(spec), { mode: 0o600 });
  return path;
}
