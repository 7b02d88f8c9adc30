// The Kubernetes provider modules, loaded on first use so activation never pays for them.
import type * as actions from '../../providers/kubernetes/actions';
import type * as apps from '../../providers/apps';
import type * as applications from '../../providers/kubernetes/applications';
import type * as appLogs from '../../providers/kubernetes/app-logs';
import type * as client from '../../providers/kubernetes/client';
import type * as errors from '../../providers/kubernetes/errors';
import type * as events from '../../providers/kubernetes/events';
import type * as informer from '../../providers/kubernetes/informer';
import type * as kubeconfig from '../../providers/kubernetes/kubeconfig';
import type * as portforward from '../../providers/kubernetes/portforward';
import type * as resources from '../../providers/kubernetes/resources';
import type * as rollout from '../../providers/kubernetes/rollout';

export interface KubernetesModules {
  actions: typeof actions;
  /** The application kit and Deploy Application (bundled here so their KubeErrors are these). */
  apps: typeof apps;
  applications: typeof applications;
  appLogs: typeof appLogs;
  client: typeof client;
  errors: typeof errors;
  events: typeof events;
  informer: typeof informer;
  kubeconfig: typeof kubeconfig;
  portforward: typeof portforward;
  resources: typeof resources;
  rollout: typeof rollout;
}

let loading: Promise<KubernetesModules> | undefined;

export function loadKubernetes(): Promise<KubernetesModules> {
  // One module, built as its own bundle (see scripts/build.mjs): client-node stays out of activation.
  loading ??= import('../../providers/kubernetes');
  return loading;
}
