import { strict as assert } from 'node:assert';
import { RateMeter, multipartFrame } from '../../../src/providers/proxmox';
import { nixBuildArgs, phaseOf, shQuote } from '../../../src/providers/nix';

describe('proxmox upload: multipart frame and rate', () => {
  it('puts the fields first and the file part last, with a closing boundary', () => {
    const { head, tail } = multipartFrame('BND', [['content', 'iso'], ['checksum-algorithm', 'sha256'], ['checksum', 'ab']], 'x"y.iso');
    const h = head.toString();
    assert.ok(h.indexOf('name="content"') < h.indexOf('name="checksum-algorithm"'));
    assert.ok(h.indexOf('name="checksum"\r\n') < h.indexOf('name="filename"'));
    assert.match(h, /filename="x_y\.iso"\r\nContent-Type: application\/octet-stream\r\n\r\n$/);
    assert.equal(tail.toString(), '\r\n--BND--\r\n');
  });

  it('RateMeter averages over its window', () => {
    let t = 0;
    const m = new RateMeter(5000, () => t);
    m.add(0);
    t = 1000;
    assert.equal(m.add(10_000_000), 10_000_000);
    t = 10_000;
    m.add(20_000_000);
    t = 11_000;
    assert.equal(Math.round(m.add(30_000_000)), 10_000_000);
  });
});

describe('nix build: command composition', () => {
  it('builds the ISO attribute of a path: flake with an out-link and build logs', () => {
    assert.deepEqual(nixBuildArgs('/w/flake', '/w/result'), [
      '--extra-experimental-features', 'nix-command flakes', 'build', 'path:/w/flake#iso', '--out-link', '/w/result', '--print-build-logs', '--print-out-paths',
    ]);
  });
  it('guesses the phase from the output', () => {
    assert.equal(phaseOf("building '/nix/store/abc-nixos.iso.drv'..."), 'building');
    assert.equal(phaseOf('nixos-iso> Creating squashfs filesystem'), 'compressing');
    assert.equal(phaseOf("copying path '/nix/store/x' from 'https://cache.nixos.org'"), 'fetching');
    assert.equal(phaseOf('hello'), undefined);
  });
  it('quotes for the remote shell', () => {
    assert.equal(shQuote("it's"), `'it'\\''s'`);
  });
});
