// A minimal stand-in for kube-controller-manager + kubelet: Deployments get ReplicaSets,
// ReplicaSets/StatefulSets/DaemonSets get Pods (with owner references), Pods become Running
// and ready after `readyDelayMs`, and workload status (readyReplicas ...) follows.
// An image whose tag is `broken` never becomes ready (ImagePullBackOff), for failure tests.
import { createHash, randomBytes } from 'node:crypto';
import { isObject, JsonObject } from './patch';
import { K8sObject, Store, StoreEvent } from './store';

const NODE = 'k3s-server';

function hashOf(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 10).replace(/[^a-z0-9]/g, 'a');
}
function rand5(): string {
  const chars = 'bcdfghjklmnpqrstvwxz2456789';
  return [...randomBytes(5)].map((b) => chars[b % chars.length]).join('');
}
function now(): string { return new Date().toISOString().replace(/\.\d+Z$/, 'Z'); }

export class Controller {
  private timer: NodeJS.Timeout | undefined;
  private readonly readyTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly onEvent = (e: StoreEvent) => { if (e.plural !== 'namespaces') this.schedule(); };

  constructor(private readonly store: Store, private readonly readyDelayMs = 300) {
    store.on('event', this.onEvent);
  }

  stop(): void {
    this.stopped = true;
    this.store.off('event', this.onEvent);
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.readyTimers) clearTimeout(t);
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => { this.timer = undefined; try { this.reconcile(); } catch { /* next event retries */ } }, 10);
    this.timer.unref();
  }

  private owned(plural: string, owner: K8sObject): K8sObject[] {
    return this.store.list(plural, owner.metadata.namespace).filter((o) =>
      Array.isArray(o.metadata.ownerReferences) && o.metadata.ownerReferences.some((r) => isObject(r) && r.uid === owner.metadata.uid));
  }

  private ownerRef(kind: string, apiVersion: string, o: K8sObject): JsonObject {
    return { apiVersion, kind, name: o.metadata.name, uid: o.metadata.uid!, controller: true, blockOwnerDeletion: true };
  }

  reconcile(): void {
    this.garbageCollect();
    for (const d of this.store.list('deployments')) this.deployment(d);
    for (const rs of this.store.list('replicasets')) this.podsFor('replicasets', 'ReplicaSet', rs, Number((rs.spec as JsonObject)?.replicas ?? 1), () => `${rs.metadata.name}-${rand5()}`);
    for (const s of this.store.list('statefulsets')) this.statefulSet(s);
    for (const ds of this.store.list('daemonsets')) this.podsFor('daemonsets', 'DaemonSet', ds, 1, () => `${ds.metadata.name}-${rand5()}`);
    for (const n of this.store.list('nodes')) this.node(n);
    for (const c of this.store.list('persistentvolumeclaims')) this.claim(c);
    this.scheduleWaiting();
    this.barePods();
  }

  /**
   * The persistentvolume controller for a claim nothing binds: no PersistentVolume matches and no
   * provisioner here makes one (the NFS CSI driver's external-provisioner never runs in this
   * server). It records, once per claim, what kube-controller-manager records: a class that does
   * not exist (ProvisioningFailed), no class (FailedBinding), a WaitForFirstConsumer class, or
   * the claim handed to the class's external provisioner (its annotations and ExternalProvisioning).
   * The claim stays Pending.
   */
  private readonly claimsSeen = new Set<string>();
  private claim(c: K8sObject): void {
    const uid = c.metadata.uid!;
    if (this.claimsSeen.has(uid) || (c.status as JsonObject | undefined)?.phase !== 'Pending') return;
    const spec = (c.spec ?? {}) as JsonObject;
    let className = spec.storageClassName as string | undefined;
    if (className === undefined) {
      const def = this.store.list('storageclasses').find((sc) => (sc.metadata.annotations as JsonObject | undefined)?.['storageclass.kubernetes.io/is-default-class'] === 'true');
      className = def?.metadata.name;
    }
    const provisioned = className ? this.store.get('storageclasses', undefined, className) : undefined;
    if (provisioned && this.provisionedClasses.has(className!)) { this.provision(c, provisioned); return; }
    this.claimsSeen.add(uid);
    if (!className) { this.claimEvent(c, 'Normal', 'FailedBinding', 'no persistent volumes available for this claim and no storage class is set'); return; }
    const sc = this.store.get('storageclasses', undefined, className);
    if (!sc) { this.claimEvent(c, 'Warning', 'ProvisioningFailed', `storageclass.storage.k8s.io "${className}" not found`); return; }
    if (sc.volumeBindingMode === 'WaitForFirstConsumer') { this.claimEvent(c, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding'); return; }
    const provisioner = String(sc.provisioner);
    try {
      this.store.modify('persistentvolumeclaims', c.metadata.namespace, c.metadata.name, (o) => {
        o.metadata.annotations = { ...((o.metadata.annotations ?? {}) as JsonObject), 'volume.beta.kubernetes.io/storage-provisioner': provisioner, 'volume.kubernetes.io/storage-provisioner': provisioner };
      });
    } catch { return; /* deleted meanwhile */ }
    this.claimEvent(c, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
  }

  /** Classes whose claims a provisioner binds (`provisionClass`), as K3s's local-path provisioner does. */
  private readonly provisionedClasses = new Set<string>();
  provisionClass(name: string): void { this.provisionedClasses.add(name); this.schedule(); }

  /**
   * The provisioner + binder for a claim of a provisioned class: a WaitForFirstConsumer class waits
   * for a pod that uses the claim (event once); then a PersistentVolume `pvc-<uid>` (hostPath under
   * local-path's storage dir, the claim's size and modes, claimRef) is made and both are Bound.
   */
  private readonly claimsWaiting = new Set<string>();
  private provision(c: K8sObject, sc: K8sObject): void {
    const uid = c.metadata.uid!;
    const ns = c.metadata.namespace!;
    const spec = (c.spec ?? {}) as JsonObject;
    if (sc.volumeBindingMode === 'WaitForFirstConsumer') {
      const used = this.store.list('pods', ns).some((p) => (((p.spec as JsonObject | undefined)?.volumes ?? []) as JsonObject[])
        .some((v) => (v.persistentVolumeClaim as JsonObject | undefined)?.claimName === c.metadata.name));
      if (!used) {
        if (!this.claimsWaiting.has(uid)) { this.claimsWaiting.add(uid); this.claimEvent(c, 'Normal', 'WaitForFirstConsumer', 'waiting for first consumer to be created before binding'); }
        return;
      }
    }
    this.claimsSeen.add(uid);
    const provisioner = String(sc.provisioner);
    const pvName = `pvc-${uid}`;
    const storage = ((spec.resources as JsonObject | undefined)?.requests as JsonObject | undefined)?.storage ?? '1Gi';
    try {
      this.store.modify('persistentvolumeclaims', ns, c.metadata.name, (o) => {
        o.metadata.annotations = { ...((o.metadata.annotations ?? {}) as JsonObject), 'volume.beta.kubernetes.io/storage-provisioner': provisioner, 'volume.kubernetes.io/storage-provisioner': provisioner, ...(sc.volumeBindingMode === 'WaitForFirstConsumer' ? { 'volume.kubernetes.io/selected-node': NODE } : {}) };
      });
      this.claimEvent(c, 'Normal', 'ExternalProvisioning', `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`);
      const cur = this.store.get('persistentvolumeclaims', ns, c.metadata.name);
      if (!cur || cur.metadata.uid !== uid) return;
      this.store.create('persistentvolumes', {
        metadata: { name: pvName, annotations: { 'pv.kubernetes.io/provisioned-by': provisioner, 'local.path.provisioner/selected-node': NODE } },
        spec: {
          capacity: { storage }, accessModes: spec.accessModes ?? ['ReadWriteOnce'], persistentVolumeReclaimPolicy: String(sc.reclaimPolicy ?? 'Delete'),
          storageClassName: sc.metadata.name, volumeMode: 'Filesystem',
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', name: c.metadata.name, namespace: ns, uid, resourceVersion: cur.metadata.resourceVersion! },
          hostPath: { path: `/var/lib/rancher/k3s/storage/${pvName}_${ns}_${c.metadata.name}`, type: 'DirectoryOrCreate' },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [NODE] }] }] } },
        },
      });
      this.store.setStatus('persistentvolumes', undefined, pvName, { phase: 'Bound' });
      this.store.modify('persistentvolumeclaims', ns, c.metadata.name, (o) => {
        o.metadata.annotations = { ...((o.metadata.annotations ?? {}) as JsonObject), 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' };
        (o.spec as JsonObject).volumeName = pvName;
      });
      this.store.setStatus('persistentvolumeclaims', ns, c.metadata.name, { phase: 'Bound', accessModes: spec.accessModes ?? ['ReadWriteOnce'], capacity: { storage } });
      this.claimEvent(c, 'Normal', 'ProvisioningSucceeded', `Successfully provisioned volume ${pvName}`);
    } catch { /* claim deleted meanwhile */ }
  }

  private claimEvent(c: K8sObject, type: string, reason: string, message: string): void {
    const t = now();
    try {
      this.store.create('events', {
        metadata: { name: `${c.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: c.metadata.namespace! },
        involvedObject: { kind: 'PersistentVolumeClaim', namespace: c.metadata.namespace!, name: c.metadata.name, uid: c.metadata.uid!, apiVersion: 'v1', resourceVersion: c.metadata.resourceVersion! },
        reason, message, type, source: { component: 'persistentvolume-controller' }, reportingComponent: 'persistentvolume-controller', reportingInstance: '',
        firstTimestamp: t, lastTimestamp: t, count: 1,
      });
    } catch { /* namespace going away */ }
  }

  /** The kubelet of a registered node: Ready after the ready delay, unless annotated
   * `homelab.test/never-ready` (a node stuck NotReady, for failure tests). */
  private readonly nodesStarting = new Set<string>();
  private node(n: K8sObject): void {
    const uid = n.metadata.uid!;
    const conds = ((n.status as JsonObject | undefined)?.conditions ?? []) as JsonObject[];
    if (this.nodesStarting.has(uid) || conds.some((c) => c.type === 'Ready' && c.status === 'True')) return;
    if ((n.metadata.annotations as JsonObject | undefined)?.['homelab.test/never-ready']) return;
    this.nodesStarting.add(uid);
    const t = setTimeout(() => {
      this.readyTimers.delete(t);
      this.nodesStarting.delete(uid);
      const cur = this.store.get('nodes', undefined, n.metadata.name);
      if (!cur || cur.metadata.uid !== uid) return;
      const status = { ...((cur.status ?? {}) as JsonObject) };
      const others = (((status.conditions ?? []) as JsonObject[])).filter((c) => c.type !== 'Ready');
      status.conditions = [...others, { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastTransitionTime: now() }];
      try { this.store.setStatus('nodes', undefined, cur.metadata.name, status); } catch { /* gone */ }
    }, this.readyDelayMs);
    t.unref();
    this.readyTimers.add(t);
  }

  /** Background cascading deletion: dependents of a deleted owner go. */
  private garbageCollect(): void {
    for (const plural of ['replicasets', 'pods']) {
      for (const o of this.store.list(plural)) {
        const refs = (o.metadata.ownerReferences ?? []) as JsonObject[];
        const ctl = refs.find((r) => r.controller === true);
        if (!ctl) continue;
        const ownerPlural = ({ Deployment: 'deployments', ReplicaSet: 'replicasets', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as Record<string, string>)[String(ctl.kind)];
        const owner = ownerPlural ? this.store.get(ownerPlural, o.metadata.namespace, String(ctl.name)) : undefined;
        if (!owner || owner.metadata.uid !== ctl.uid) this.safeDelete(plural, o);
      }
    }
  }

  private safeDelete(plural: string, o: K8sObject): void {
    try { this.store.delete(plural, o.metadata.namespace, o.metadata.name); } catch { /* already gone */ }
  }

  private deployment(d: K8sObject): void {
    const spec = d.spec as JsonObject;
    const template = spec.template as JsonObject;
    const replicas = Number(spec.replicas ?? 1);
    const hash = hashOf(template);
    const rsName = `${d.metadata.name}-${hash}`;
    const sets = this.owned('replicasets', d);
    let current = sets.find((s) => s.metadata.name === rsName);
    if (!current) {
      const tpl = JSON.parse(JSON.stringify(template)) as JsonObject;
      const tplMeta = (tpl.metadata ?? {}) as JsonObject;
      tplMeta.labels = { ...((tplMeta.labels ?? {}) as JsonObject), 'pod-template-hash': hash };
      tpl.metadata = tplMeta;
      current = this.store.create('replicasets', {
        metadata: { name: rsName, namespace: d.metadata.namespace!, labels: tplMeta.labels, ownerReferences: [this.ownerRef('Deployment', 'apps/v1', d)] },
        spec: { replicas, selector: spec.selector ?? {}, template: tpl },
      });
    } else if (Number((current.spec as JsonObject).replicas) !== replicas) {
      current = this.store.modify('replicasets', d.metadata.namespace, rsName, (o) => { (o.spec as JsonObject).replicas = replicas; });
    }
    for (const old of sets) if (old.metadata.name !== rsName && Number((old.spec as JsonObject).replicas) !== 0) {
      this.store.modify('replicasets', d.metadata.namespace, old.metadata.name, (o) => { (o.spec as JsonObject).replicas = 0; });
    }
    const pods = sets.flatMap((s) => this.owned('pods', s));
    const currentPods = this.owned('pods', current);
    const ready = currentPods.filter(podReady).length;
    const failing = currentPods.some((p) => podWaitingReason(p) !== undefined);
    const status: JsonObject = {
      observedGeneration: Number(d.metadata.generation ?? 1),
      replicas: pods.length,
      updatedReplicas: currentPods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      conditions: [
        { type: 'Available', status: ready >= replicas ? 'True' : 'False', reason: ready >= replicas ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', message: ready >= replicas ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.' },
        failing
          ? { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${rsName}" has timed out progressing.` }
          : { type: 'Progressing', status: 'True', reason: ready >= replicas ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" ${ready >= replicas ? 'has successfully progressed' : 'is progressing'}.` },
      ],
    };
    if (ready === 0) delete status.readyReplicas;
    this.writeStatus('deployments', d, status);
  }

  private statefulSet(s: K8sObject): void {
    const spec = s.spec as JsonObject;
    const replicas = Number(spec.replicas ?? 1);
    const hash = hashOf(spec.template);
    const pods = this.owned('pods', s);
    // rolling restart: pods of an old revision are replaced, highest ordinal first
    const stale = pods.filter((p) => (p.metadata.labels as JsonObject | undefined)?.['controller-revision-hash'] !== `${s.metadata.name}-${hash}`)
      .sort((a, b) => b.metadata.name.localeCompare(a.metadata.name));
    if (stale.length) this.safeDelete('pods', stale[0]);
    for (const p of pods) {
      const ord = Number(p.metadata.name.slice(s.metadata.name.length + 1));
      if (ord >= replicas) this.safeDelete('pods', p);
    }
    const templates = (Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) as JsonObject[];
    for (let i = 0; i < replicas; i++) {
      const name = `${s.metadata.name}-${i}`;
      // each ordinal's claims (<template>-<set>-<ordinal>) exist before its pod, and outlive it
      const volumes: JsonObject[] = [];
      for (const t of templates) {
        const tmeta = (t.metadata ?? {}) as JsonObject;
        const claimName = `${String(tmeta.name)}-${name}`;
        volumes.push({ name: String(tmeta.name), persistentVolumeClaim: { claimName } });
        if (!this.store.get('persistentvolumeclaims', s.metadata.namespace, claimName)) {
          const selector = ((spec.selector as JsonObject | undefined)?.matchLabels ?? {}) as JsonObject;
          try { this.store.create('persistentvolumeclaims', { metadata: { name: claimName, namespace: s.metadata.namespace!, labels: { ...((tmeta.labels ?? {}) as JsonObject), ...selector } }, spec: JSON.parse(JSON.stringify(t.spec ?? {})) as JsonObject }); } catch { /* invalid template: the pod waits */ }
        }
      }
      if (!this.store.get('pods', s.metadata.namespace, name)) this.createPod(s, 'StatefulSet', name, { 'controller-revision-hash': `${s.metadata.name}-${hash}`, 'statefulset.kubernetes.io/pod-name': name }, volumes);
    }
    const now = this.owned('pods', s);
    const ready = now.filter(podReady).length;
    const status: JsonObject = { observedGeneration: Number(s.metadata.generation ?? 1), replicas: now.length, readyReplicas: ready, currentReplicas: now.length, updatedReplicas: now.length, availableReplicas: ready };
    if (ready === 0) delete status.readyReplicas;
    this.writeStatus('statefulsets', s, status);
  }

  private podsFor(plural: string, kind: string, owner: K8sObject, want: number, name: () => string): void {
    const pods = this.owned('pods', owner);
    for (let i = pods.length; i < want; i++) this.createPod(owner, kind, name(), {});
    for (const p of pods.slice(want)) this.safeDelete('pods', p);
    const ready = this.owned('pods', owner).filter(podReady).length;
    const count = this.owned('pods', owner).length;
    const status: JsonObject = plural === 'daemonsets'
      ? { desiredNumberScheduled: want, currentNumberScheduled: count, numberReady: ready, numberAvailable: ready, updatedNumberScheduled: count, observedGeneration: Number(owner.metadata.generation ?? 1) }
      : { replicas: count, readyReplicas: ready, availableReplicas: ready, observedGeneration: Number(owner.metadata.generation ?? 1) };
    this.writeStatus(plural, owner, status);
  }

  private writeStatus(plural: string, o: K8sObject, status: JsonObject): void {
    if (JSON.stringify(o.status ?? {}) === JSON.stringify(status)) return;
    try { this.store.setStatus(plural, o.metadata.namespace, o.metadata.name, status); } catch { /* owner gone */ }
  }

  private createPod(owner: K8sObject, kind: string, name: string, extraLabels: JsonObject, claimVolumes: JsonObject[] = []): void {
    const tpl = ((owner.spec as JsonObject).template ?? {}) as JsonObject;
    const meta = (tpl.metadata ?? {}) as JsonObject;
    const spec = JSON.parse(JSON.stringify(tpl.spec ?? { containers: [] })) as JsonObject;
    if (claimVolumes.length) spec.volumes = [...((spec.volumes ?? []) as JsonObject[]), ...claimVolumes];
    spec.nodeName = NODE;
    const containers = (Array.isArray(spec.containers) ? spec.containers : []) as JsonObject[];
    const ns = owner.metadata.namespace!;
    let pod: K8sObject;
    try {
      pod = this.store.create('pods', {
        metadata: { name, namespace: ns, labels: { ...((meta.labels ?? {}) as JsonObject), ...extraLabels }, annotations: (meta.annotations ?? {}) as JsonObject, ownerReferences: [this.ownerRef(kind, 'apps/v1', owner)] },
        spec,
        status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], qosClass: 'BestEffort' },
      });
    } catch { return; }
    if (!this.claimsBound(pod)) {
      // the scheduler does not place a pod whose claims are not bound
      this.podsUnscheduled.set(pod.metadata.uid!, { ns, name, containers });
      try { this.store.setStatus('pods', ns, name, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.' }], qosClass: 'BestEffort' }); } catch { /* gone */ }
      return;
    }
    this.startPod(ns, name, pod.metadata.uid!, containers);
  }

  private readonly podsUnscheduled = new Map<string, { ns: string; name: string; containers: JsonObject[] }>();
  private claimsBound(pod: K8sObject): boolean {
    return (((pod.spec as JsonObject | undefined)?.volumes ?? []) as JsonObject[]).every((v) => {
      const claim = (v.persistentVolumeClaim as JsonObject | undefined)?.claimName;
      if (claim === undefined) return true;
      return (this.store.get('persistentvolumeclaims', pod.metadata.namespace, String(claim))?.status as JsonObject | undefined)?.phase === 'Bound';
    });
  }
  /** Pods that waited for their claims start once all are Bound. */
  private scheduleWaiting(): void {
    for (const [uid, p] of [...this.podsUnscheduled]) {
      const cur = this.store.get('pods', p.ns, p.name);
      if (!cur || cur.metadata.uid !== uid) { this.podsUnscheduled.delete(uid); continue; }
      if (!this.claimsBound(cur)) continue;
      this.podsUnscheduled.delete(uid);
      try { this.store.setStatus('pods', p.ns, p.name, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], qosClass: 'BestEffort' }); } catch { continue; }
      this.startPod(p.ns, p.name, uid, p.containers);
    }
  }

  /** The kubelet: a pod that is bound to a node starts and becomes Running and ready after the delay. */
  private readonly podsStarting = new Set<string>();
  private startPod(ns: string, name: string, uid: string, containers: JsonObject[]): void {
    this.podsStarting.add(uid);
    for (const c of containers) this.store.appendLog(ns, name, String(c.name), `${now()} starting ${String(c.name)} (${String(c.image)})`);
    const t = setTimeout(() => {
      this.readyTimers.delete(t);
      this.podsStarting.delete(uid);
      const cur = this.store.get('pods', ns, name);
      if (!cur || cur.metadata.uid !== uid) return;
      const broken = containers.some((c) => String(c.image ?? '').endsWith(':broken'));
      const statuses: JsonObject[] = containers.map((c): JsonObject => broken
        ? { name: c.name, image: c.image, ready: false, restartCount: 0, started: false, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${String(c.image)}"` } } }
        : { name: c.name, image: c.image, ready: true, restartCount: 0, started: true, state: { running: { startedAt: now() } } });
      try {
        this.store.setStatus('pods', ns, name, {
          phase: broken ? 'Pending' : 'Running', podIP: `10.42.0.${1 + (randomBytes(1)[0] % 250)}`, hostIP: '192.168.1.10', startTime: now(), qosClass: 'BestEffort',
          conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: broken ? 'False' : 'True' }, { type: 'ContainersReady', status: broken ? 'False' : 'True' }],
          containerStatuses: statuses,
        });
      } catch { return; }
      if (!broken) for (const c of containers) this.store.appendLog(ns, name, String(c.name), `${now()} ${String(c.name)} ready`);
    }, this.readyDelayMs);
    t.unref();
    this.readyTimers.add(t);
  }

  /** Pods created directly (no controller): bound to their node (or the default one) and started, as a scheduler and kubelet would. */
  private barePods(): void {
    for (const p of this.store.list('pods')) {
      const uid = p.metadata.uid!;
      // pods of a workload the controller runs start in createPod
      const ref = ((p.metadata.ownerReferences ?? []) as JsonObject[]).find((r) => r.controller === true);
      const plural = ref ? ({ ReplicaSet: 'replicasets', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as Record<string, string>)[String(ref.kind)] : undefined;
      if (plural && this.store.get(plural, p.metadata.namespace, String(ref!.name))?.metadata.uid === ref!.uid && !(p.spec as JsonObject | undefined)?.nodeName) continue;
      if (this.podsStarting.has(uid) || this.podsUnscheduled.has(uid) || p.metadata.deletionTimestamp) continue;
      const status = (p.status ?? {}) as JsonObject;
      if (status.phase && status.phase !== 'Pending') continue;
      if (((status.conditions ?? []) as JsonObject[]).some((c) => c.type === 'Ready')) continue;
      const containers = (Array.isArray((p.spec as JsonObject | undefined)?.containers) ? (p.spec as JsonObject).containers : []) as JsonObject[];
      this.startPod(p.metadata.namespace!, p.metadata.name, uid, containers);
    }
  }
}

export function podReady(p: K8sObject): boolean {
  const conds = ((p.status as JsonObject | undefined)?.conditions ?? []) as JsonObject[];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}
function podWaitingReason(p: K8sObject): string | undefined {
  const cs = ((p.status as JsonObject | undefined)?.containerStatuses ?? []) as JsonObject[];
  for (const c of cs) { const w = (c.state as JsonObject | undefined)?.waiting as JsonObject | undefined; if (w) return String(w.reason); }
  return undefined;
}
