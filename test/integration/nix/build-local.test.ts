import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { delimiter } from 'node:path';
import {
  NO_BUILDER_MESSAGE, buildIsoLocally, chooseBuilder, detectLocalNix, isNixError, nixBuildArgs, type BuildPhase,
} from '../../../src/providers/nix';
import { alive, makeStandIn, waitFor, type StandIn } from './standin';

describe('nix: local ISO build with a nix stand-in on PATH', () => {
  let s: StandIn;
  beforeEach(() => (s = makeStandIn()));
  afterEach(() => s.cleanup());

  it('detects nix on PATH, and explains the two ways when there is none', async () => {
    const found = await detectLocalNix({ env: s.env });
    assert.equal(found?.path, s.nix);
    assert.equal(found?.version, '2.24.9-standin');
    const noNix = { ...s.env, PATH: s.env.PATH!.split(delimiter).slice(1).join(delimiter) };
    assert.equal(await detectLocalNix({ env: noNix }), undefined);
    await assert.rejects(chooseBuilder({ env: noNix }), (e: unknown) => {
      assert.ok(isNixError(e, 'no-builder'));
      assert.equal((e as Error).message, NO_BUILDER_MESSAGE);
      assert.match(NO_BUILDER_MESSAGE, /install Nix on this machine/);
      assert.match(NO_BUILDER_MESSAGE, /homelab\.nix\.buildHost/);
      return true;
    });
    assert.deepEqual(await chooseBuilder({ env: noNix, buildHost: 'me@nixbox' }), { kind: 'remote', host: 'me@nixbox' });
    assert.equal((await chooseBuilder({ env: s.env, buildHost: 'me@nixbox' })).kind, 'local', 'local nix wins');
  });

  it('runs nix build with the composed arguments, streams its lines and finds the ISO', async () => {
    const lines: string[] = [];
    const phases: BuildPhase[] = [];
    const out = join(s.dir, 'result');
    const r = await buildIsoLocally({ nix: s.nix, flakeDir: s.flake, outLink: out, env: s.env, onLine: (l) => lines.push(l), onPhase: (p) => phases.push(p) });
    assert.deepEqual(s.calls().at(-1), nixBuildArgs(s.flake, out));
    assert.match(r.isoPath!, /result\/iso\/nixos-.*\.iso$/);
    assert.ok(lines.some((l) => /^building '\/nix\/store\/.*iso\.drv'/.test(l)), lines.join('\n'));
    assert.deepEqual(phases, ['evaluating', 'building', 'compressing', 'done']);
  });

  it('a failing build names the exit code and shows the last output', async () => {
    s.setMode('fail');
    await assert.rejects(buildIsoLocally({ nix: s.nix, flakeDir: s.flake, outLink: join(s.dir, 'result'), env: s.env }), (e: unknown) => {
      assert.ok(isNixError(e, 'build-failed'));
      assert.match((e as Error).message, /exit code 1/);
      assert.match((e as Error).message, /attribute 'bogus' missing/);
      return true;
    });
  });

  it('a build without an ISO is reported as such', async () => {
    s.setMode('no-iso');
    await assert.rejects(buildIsoLocally({ nix: s.nix, flakeDir: s.flake, outLink: join(s.dir, 'result'), env: s.env }), (e: unknown) => isNixError(e, 'no-output'));
  });

  it('cancel kills the whole process group (nix and its children)', async () => {
    s.setMode('hang');
    const ac = new AbortController();
    const p = buildIsoLocally({ nix: s.nix, flakeDir: s.flake, outLink: join(s.dir, 'result'), env: s.env, signal: ac.signal, killGraceMs: 2000 });
    await waitFor(() => s.pidOf('child') !== undefined && s.pidOf('nix') !== undefined, 10_000, 'the build to start its child');
    const child = s.pidOf('child')!;
    assert.ok(alive(child));
    const t0 = Date.now();
    ac.abort();
    await assert.rejects(p, (e: unknown) => isNixError(e, 'cancelled'));
    assert.ok(Date.now() - t0 < 5000);
    await waitFor(() => !alive(child), 5000, `child ${child} to die`);
  });

  it('a missing nix binary is a clear error', async () => {
    await assert.rejects(buildIsoLocally({ nix: join(s.dir, 'nope'), flakeDir: s.flake, outLink: join(s.dir, 'r'), env: s.env }), /Cannot start .*not found/);
  });
});
