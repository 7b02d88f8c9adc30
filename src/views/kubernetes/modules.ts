// The Kubernetes provider modules, loaded on first use so activation never pays for them.
import type * as actions from '../../providers/kubernetes/actions';
import type * as client from '../../providers/kubernetes/client';
import type * as errors from '../../providers/kubernetes/errors';
import type * as informer from '../../providers/kubernetes/informer';
import type * as kubeconfig from '../../providers/kubernetes/kubeconfig';
import type * as resources from '../../providers/kubernetes/resources';

export interface KubernetesModules {
  actions: typeof actions;
  client: typeof client;
  errors: typeof errors;
  informer: typeof informer;
  kubeconfig: typeof kubeconfig;
  resources: typeof resources;
}

let loading: Promise<KubernetesModules> | undefined;

export function loadKubernetes(): Promise<KubernetesModules> {
  loading ??= (async () => ({
    actions: await import('../../providers/kubernetes/actions'),
    client: await import('../../providers/kubernetes/client'),
    errors: await import('../../providers/kubernetes/errors'),
    informer: await import('../../providers/kubernetes/informer'),
    kubeconfig: await import('../../providers/kubernetes/kubeconfig'),
    resources: await import('../../providers/kubernetes/resources'),
  }))();
  return loading;
}
