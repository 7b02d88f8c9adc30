import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  EJECT_DIR, NIX_FILES, checkNixSyntax, eject, isNixError, nodeFileStore, resolveFlakeSource, resolveParams, stageFlake,
} from '../../../src/providers/nix';
import { evalNixFile } from './helpers';

const RES = resolve(__dirname, '../../../resources/nix');

describe('nix: eject, workspace copy wins, staging', () => {
  let ws: string;
  const store = nodeFileStore();
  beforeEach(() => (ws = mkdtempSync(join(tmpdir(), 'nix-ws-'))));
  afterEach(() => rmSync(ws, { recursive: true, force: true }));

  it('ejects every file with the params rendered from the settings', async () => {
    const target = join(ws, EJECT_DIR);
    const params = resolveParams({ diskDevice: '/dev/vda', timezone: 'Europe/Paris' });
    const { written } = await eject(store, { bundledDir: RES, targetDir: target, params });
    assert.equal(written.length, NIX_FILES.length);
    for (const f of NIX_FILES) assert.ok(existsSync(join(target, f)), f);
    assert.equal(readFileSync(join(target, 'template.nix'), 'utf8'), readFileSync(join(RES, 'template.nix'), 'utf8'));
    assert.deepEqual(evalNixFile(join(target, 'homelab-params.nix')), params);
    assert.deepEqual(await checkNixSyntax(written), []);
  });

  it('never overwrites the user\'s files without consent', async () => {
    const target = join(ws, EJECT_DIR);
    mkdirSync(target, { recursive: true });
    writeFileSync(join(target, 'template.nix'), '# mine\n{ }\n');
    await assert.rejects(eject(store, { bundledDir: RES, targetDir: target, params: resolveParams({}) }), (e: unknown) => {
      assert.ok(isNixError(e, 'eject-conflict'));
      assert.match((e as Error).message, /template\.nix/);
      return true;
    });
    assert.equal(readFileSync(join(target, 'template.nix'), 'utf8'), '# mine\n{ }\n');
    assert.ok(!existsSync(join(target, 'flake.nix')), 'nothing written on conflict');
    await eject(store, { bundledDir: RES, targetDir: target, params: resolveParams({}), overwrite: true });
    assert.notEqual(readFileSync(join(target, 'template.nix'), 'utf8'), '# mine\n{ }\n');
  });

  it('bad settings stop the eject before any file is written', async () => {
    const target = join(ws, EJECT_DIR);
    await assert.rejects(eject(store, { bundledDir: RES, targetDir: target, params: { ...resolveParams({}), diskDevice: 'sda' } }), /diskDevice/);
    assert.ok(!existsSync(target));
  });

  it('the workspace copy wins once it exists, and is staged as written', async () => {
    assert.deepEqual(await resolveFlakeSource(store, { bundledDir: RES, workspaceDir: ws }), { dir: RES, ejected: false });
    const target = join(ws, EJECT_DIR);
    await eject(store, { bundledDir: RES, targetDir: target, params: resolveParams({ timezone: 'Asia/Tokyo' }) });
    const src = await resolveFlakeSource(store, { bundledDir: RES, workspaceDir: ws });
    assert.deepEqual(src, { dir: target, ejected: true });
    const stage = join(ws, 'stage');
    // Settings changed after the eject: the ejected params file is the user's and is kept.
    const files = await stageFlake(store, src, resolveParams({ timezone: 'UTC' }), stage);
    assert.equal(files.length, NIX_FILES.length);
    assert.equal((evalNixFile(join(stage, 'homelab-params.nix')) as { timezone: string }).timezone, 'Asia/Tokyo');
    // The bundled copy gets the settings.
    const stage2 = join(ws, 'stage2');
    await stageFlake(store, { dir: RES, ejected: false }, resolveParams({ timezone: 'UTC', swapSizeGiB: 8 }), stage2);
    assert.equal((evalNixFile(join(stage2, 'homelab-params.nix')) as { swapSizeGiB: number }).swapSizeGiB, 8);
  });

  it('a missing file or a broken edit in the ejected copy is reported with file and line', async () => {
    const target = join(ws, EJECT_DIR);
    await eject(store, { bundledDir: RES, targetDir: target, params: resolveParams({}) });
    rmSync(join(target, 'kubernetes.nix'));
    await assert.rejects(stageFlake(store, { dir: target, ejected: true }, resolveParams({}), join(ws, 's')), /kubernetes\.nix is missing/);
    writeFileSync(join(target, 'kubernetes.nix'), '{ lib, ... }:\n{\n  boot.kernelModules = [ "overlay" "br_netfilter" ;\n}\n');
    const files = await stageFlake(store, { dir: target, ejected: true }, resolveParams({}), join(ws, 's'));
    const problems = await checkNixSyntax(files);
    assert.equal(problems.length, 1);
    assert.match(problems[0].file, /kubernetes\.nix$/);
    assert.equal(problems[0].line, 3);
  });
});
