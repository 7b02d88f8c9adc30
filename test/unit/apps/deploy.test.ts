// Deploy Application's pure parts: the request completed with its defaults and checked, rollout
// progress read like `kubectl rollout status`, pod problems, and the scrubber that keeps secret
// values out of every line.
import assert from 'node:assert/strict';
import { completeRequest, DeployRefused, deploymentProgress, generateSecret, podProblem, RolloutFailed, scrubber, secretValues, statefulSetProgress } from '../../../src/providers/apps/deploy';
import type { KubeObject } from '../../../src/providers/kubernetes/resources';

const base = { GITHUB_CLIENT_ID: 'id', GITHUB_CLIENT_SECRET: 'gh' };
const dep = (spec: object, status: object, generation = 1): KubeObject => ({ metadata: { name: 'hacky-stack', generation }, spec, status });

describe('Deploy Application: request, progress, scrubbing', () => {
  it('NEXTAUTH_SECRET is generated as 32 random bytes in base64 unless given; NEXTAUTH_URL defaults to https://hackystack.local', () => {
    const r = completeRequest({ level: 'basic', params: { appSecrets: { ...base, DATABASE_URL: 'postgresql://u:p@db:5432/app' } } });
    const s = r.params.appSecrets!.NEXTAUTH_SECRET!;
    assert.equal(Buffer.from(s, 'base64').length, 32);
    assert.notEqual(generateSecret(), generateSecret());
    assert.equal(r.params.appSecrets!.NEXTAUTH_URL, 'https://hackystack.local');
    assert.equal(r.params.namespace, 'hacky-stack');
    const given = completeRequest({ level: 'basic', params: { appSecrets: { ...base, NEXTAUTH_SECRET: 'mine-mine-mine-mine', DATABASE_URL: 'postgresql://u:p@db:5432/app' } } });
    assert.equal(given.params.appSecrets!.NEXTAUTH_SECRET, 'mine-mine-mine-mine');
  });

  it('intermediate: a generated database password and DATABASE_URL pointing at the in-cluster Service', () => {
    const r = completeRequest({ level: 'intermediate', params: { namespace: 'lab', appSecrets: { ...base } } });
    const c = r.params.databaseCredentials!;
    assert.equal(c.POSTGRES_USER, 'hackystack');
    assert.ok(c.POSTGRES_PASSWORD!.length >= 20);
    assert.equal(r.params.appSecrets!.DATABASE_URL, `postgresql://hackystack:${encodeURIComponent(c.POSTGRES_PASSWORD!)}@hacky-stack-postgres.lab.svc.cluster.local:5432/hackystack`);
  });

  it('refuses a missing or malformed DATABASE_URL (basic) and a missing GitHub client, without the values', () => {
    assert.throws(() => completeRequest({ level: 'basic', params: { appSecrets: { ...base } } }), (e: Error) => e instanceof DeployRefused && /DATABASE_URL is required/.test(e.message));
    assert.throws(() => completeRequest({ level: 'basic', params: { appSecrets: { ...base, DATABASE_URL: 'https://u:Sup3rS3cret@db/x' } } }), (e: Error) => e instanceof DeployRefused && /postgresql:\/\//.test(e.message) && !e.message.includes('Sup3rS3cret'));
    assert.throws(() => completeRequest({ level: 'basic', params: { appSecrets: { DATABASE_URL: 'postgresql://u:p@db:5432/app' } } }), /GitHub OAuth client id and secret are required/);
  });

  it('the scrubber hides each secret value, its URL-encoded and base64 forms, and the password inside DATABASE_URL', () => {
    const params = { appSecrets: { NEXTAUTH_SECRET: 'abc/def+ghi', DATABASE_URL: 'postgresql://u:p%40ssword@db:5432/app', GITHUB_CLIENT_SECRET: 'gh-sec' } };
    const vals = secretValues(params);
    assert.ok(vals.includes('p@ssword'), 'the decoded password is a secret too');
    const s = scrubber(vals);
    assert.equal(s('x abc/def+ghi y'), 'x <redacted> y');
    assert.equal(s(`enc ${encodeURIComponent('abc/def+ghi')}`), 'enc <redacted>');
    assert.equal(s(`b64 ${Buffer.from('gh-sec').toString('base64')}`), 'b64 <redacted>');
    assert.equal(s('url postgresql://u:p%40ssword@db:5432/app'), 'url <redacted>');
    assert.equal(s('pw p@ssword'), 'pw <redacted>');
    assert.equal(scrubber(['ab'])('ab stays: too short to scrub safely'), 'ab stays: too short to scrub safely');
  });

  it('Deployment progress as kubectl rollout status reads it; ProgressDeadlineExceeded is a failure', () => {
    assert.match(deploymentProgress(dep({ replicas: 2 }, { observedGeneration: 1 }, 2)).text, /waiting for the deployment controller/);
    assert.deepEqual(deploymentProgress(dep({ replicas: 2 }, { observedGeneration: 1, updatedReplicas: 1, replicas: 2 })), { done: false, text: '1 of 2 new replicas updated' });
    assert.deepEqual(deploymentProgress(dep({ replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 3, availableReplicas: 2 })), { done: false, text: '1 old replicas pending termination' });
    assert.deepEqual(deploymentProgress(dep({ replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 1 })), { done: false, text: '1 of 2 updated replicas available' });
    assert.deepEqual(deploymentProgress(dep({ replicas: 2 }, { observedGeneration: 1, updatedReplicas: 2, replicas: 2, availableReplicas: 2 })), { done: true, text: '2 of 2 replicas available' });
    assert.throws(() => deploymentProgress(dep({ replicas: 2 }, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' }] })),
      (e: Error) => e instanceof RolloutFailed && /did not roll out: ProgressDeadlineExceeded: ReplicaSet "x" has timed out/.test(e.message));
  });

  it('StatefulSet progress waits for ready pods and the update revision; pod problems name the waiting reason', () => {
    assert.deepEqual(statefulSetProgress(dep({ replicas: 1 }, { observedGeneration: 1, readyReplicas: 0 })), { done: false, text: '0 of 1 pods ready' });
    assert.equal(statefulSetProgress(dep({ replicas: 1 }, { observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' })).done, false);
    assert.equal(statefulSetProgress(dep({ replicas: 1 }, { observedGeneration: 1, readyReplicas: 1, currentRevision: 'b', updateRevision: 'b' })).done, true);
    const pod = (status: object): KubeObject => ({ metadata: { name: 'p' }, status });
    assert.equal(podProblem(pod({ containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "x:broken"' } } }] })), 'ImagePullBackOff (Back-off pulling image "x:broken")');
    assert.equal(podProblem(pod({ containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ContainerCreating' } } }] })), undefined);
    assert.match(podProblem(pod({ conditions: [{ type: 'PodScheduled', status: 'False', message: '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.' }] }))!, /^Unschedulable \(0\/1 nodes/);
  });
});
