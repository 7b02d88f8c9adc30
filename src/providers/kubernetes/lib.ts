// The one place that loads @kubernetes/client-node. It is required on first use, never at module
// load, so importing the providers (or activating the extension) does not pay for it.
import type * as K8s from '@kubernetes/client-node';

export type { K8s };

let mod: typeof K8s | undefined;

export function k8s(): typeof K8s {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  mod ??= require('@kubernetes/client-node') as typeof K8s;
  return mod;
}

/** True once client-node has been loaded in this process (tests check that imports stay lazy). */
export function k8sLoaded(): boolean { return mod !== undefined; }
