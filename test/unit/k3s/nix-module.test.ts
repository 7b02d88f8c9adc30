import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { checkNixSyntax } from '../../../src/providers/nix';
import {
  IMPORT_MARKER, ImportEditError, addImport, expectedFlags, hasImport, k3sNodeModule, nixString, nodeSettings, planK3s, removeImport,
} from '../../../src/providers/k3s';
import { nodesOf } from './helpers';

const RES = resolve(__dirname, '../../../resources/nix');
const NIX = ['--option', 'build-users-group', '', '--store', 'dummy://'];
const evalJson = (expr: string, cwd: string) => JSON.parse(execFileSync('nix-instantiate', ['--eval', '--strict', '--json', ...NIX, '-E', expr], { cwd, encoding: 'utf8' }));

describe('k3s: NixOS module generator (checked by nix-instantiate)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'k3s-nix-'));
    for (const f of ['k3s.nix', 'k3s-flags.nix']) copyFileSync(join(RES, f), join(dir, f));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [cps, workers, api] of [[1, 0, 'first'], [1, 2, 'first'], [3, 5, 'vip']] as const) {
    it(`${cps}+${workers}: every node file parses, evaluates to the plan, and k3s-flags.nix gives the flags the plan expects`, async () => {
      const plan = planK3s({
        cluster: 'lab', channel: '1.32', keep: ['traefik'], nodes: nodesOf(cps, workers), apiPort: api === 'vip' ? 7443 : 6443,
        api: api === 'vip' ? { kind: 'vip', address: '10.0.0.10' } : { kind: 'first-control-plane' },
      });
      const files = plan.nodes.map((node) => {
        const file = join(dir, `${node.name}.nix`);
        writeFileSync(file, k3sNodeModule(plan, node));
        assert.doesNotMatch(readFileSync(file, 'utf8'), /[0-9a-f]{32,}/, 'the file names the token file, never holds a token');
        return file;
      });
      assert.deepEqual(await checkNixSyntax(files), []);
      // one nix evaluation for all nodes: their settings and the flags k3s-flags.nix makes of them
      const both = evalJson(`map (f: let s = (import f).homelab.k3s; in { inherit s; flags = import ./k3s-flags.nix s; }) [ ${plan.nodes.map((n) => `./${n.name}.nix`).join(' ')} ]`, dir);
      plan.nodes.forEach((node, i) => {
        assert.deepEqual(both[i].s, nodeSettings(plan, node));
        const flags: string[] = both[i].flags;
        assert.deepEqual(flags, expectedFlags(plan, node));
        if (node.k3sRole === 'server') {
          assert.equal(flags[flags.indexOf('--write-kubeconfig-mode') + 1], '0600');
          for (const san of plan.tlsSans) assert.ok(flags.join(' ').includes(`--tls-san ${san}`), san);
        } else {
          assert.ok(!flags.includes('--tls-san'), 'agents get no server flags (k3s agent would refuse them)');
        }
      });
    });
  }

  it('resources/nix/k3s.nix and k3s-flags.nix parse, and the template imports the module', async () => {
    assert.deepEqual(await checkNixSyntax([join(RES, 'k3s.nix'), join(RES, 'k3s-flags.nix'), join(RES, 'template.nix')]), []);
    assert.match(readFileSync(join(RES, 'template.nix'), 'utf8'), /^\s*\.\/k3s\.nix\b/m);
  });

  it('nixString: any string (quotes, ${, backslashes, newlines, unicode) round-trips through nix', function () {
    this.timeout(120_000);
    const samples = fc.sample(fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0')), 40);
    samples.push('${builtins.abort "x"}', '"; rm -rf /; "', '\\${x}', '$${x}', 'a\r\nb\t', '$', '\\');
    const exprs = samples.map(nixString);
    const out = evalJson(`[ ${exprs.join(' ')} ]`, dir);
    assert.deepEqual(out, samples);
  });

  it('a token file path that could break out of the string is refused', () => {
    const plan = planK3s({ cluster: 'lab', channel: '1.31', keep: [], nodes: nodesOf(1, 0), api: { kind: 'first-control-plane' } });
    assert.throws(() => k3sNodeModule(plan, plan.nodes[0], { tokenFile: '/var/lib/x"; y' }), /plain absolute path/);
    assert.throws(() => k3sNodeModule(plan, plan.nodes[0], { tokenFile: '/var/../etc/shadow' }), /plain absolute path/);
  });

  describe('the import line', () => {
    const generated = '{ config, pkgs, ... }:\n\n{\n  imports =\n    [ # Include the results of the hardware scan.\n      ./hardware-configuration.nix\n    ];\n  networking.hostName = "x"; # imports = [ nope ];\n}\n';
    const oneLine = '{ lib, ... }:\n{\n  imports = [ ./a.nix ./kubernetes.nix ];\n}\n';

    it('is added once, parses, and removal gives back the exact bytes', async () => {
      for (const text of [generated, oneLine]) {
        const added = addImport(text, './homelab-k3s/k3s-node.nix', 'configuration.nix');
        assert.ok(hasImport(added, './homelab-k3s/k3s-node.nix'));
        assert.ok(added.includes(IMPORT_MARKER));
        assert.equal(addImport(added, './homelab-k3s/k3s-node.nix', 'c'), added, 'idempotent');
        const f = join(dir, 'configuration.nix');
        writeFileSync(f, added);
        assert.deepEqual(await checkNixSyntax([f]), []);
        assert.equal(removeImport(added, './homelab-k3s/k3s-node.nix'), text);
      }
    });

    it('skips an imports list inside a comment, and refuses a file without one', () => {
      const commented = '{\n  # imports = [ ./old.nix ];\n  imports = [ ./real.nix ];\n}\n';
      assert.match(addImport(commented, './k3s-node.nix', 'f'), /imports = \[ \.\/k3s-node\.nix \/\* homelab-k3s \*\/ \.\/real\.nix \];/);
      assert.throws(() => addImport('{ networking.hostName = "x"; }\n', './k3s-node.nix', '/etc/nixos/configuration.nix'),
        (e: unknown) => e instanceof ImportEditError && /has no "imports = \[ \.\.\. \];" list.*by hand/.test((e as Error).message));
      assert.throws(() => addImport(oneLine, '../etc/x.nix', 'f'), /not a relative \.nix path/);
    });
  });
});
