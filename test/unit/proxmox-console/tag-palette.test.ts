// Tag colours: a cluster's #rrggbb mapped to the nearest contributed theme colour, and which tag of
// a guest decides (the style's order, mapped tags only, case rules).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTagStyle } from '../../../src/providers/proxmox/tags';
import { hsl, nearestTagHue, styledTag, TAG_PALETTE, tagColorId } from '../../../src/views/proxmox/tag-palette';

const root = join(__dirname, '../../..');

describe('tag palette', () => {
  it('maps the demo lab colours (Material reds, blues, greens, purples) to the hue a user would name', () => {
    assert.equal(nearestTagHue('#c62828'), 'red');
    assert.equal(nearestTagHue('#1565c0'), 'blue');
    assert.equal(nearestTagHue('#2e7d32'), 'green');
    assert.equal(nearestTagHue('#6a1b9a'), 'purple');
    assert.equal(nearestTagHue('#ef6c00'), 'orange');
    assert.equal(nearestTagHue('#fdd835'), 'yellow');
    assert.equal(nearestTagHue('#00897b'), 'teal');
    assert.equal(nearestTagHue('#d81b60'), 'pink');
  });

  it('wraps the hue circle: a red just below 360 degrees is still red', () => {
    assert.ok(hsl('#ff0018')!.h > 350);
    assert.equal(nearestTagHue('#ff0018'), 'red');
  });

  it('greys, near-black and near-white map to gray; anything but #rrggbb to nothing', () => {
    for (const c of ['#808080', '#000000', '#ffffff', '#6d6a70']) assert.equal(nearestTagHue(c), 'gray', c);
    for (const c of ['red', '#fff', '#12345g', '']) assert.equal(nearestTagHue(c), undefined, c);
  });

  it('every palette entry is a colour package.json contributes, with defaults for each theme kind', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const colors = new Map<string, { defaults: Record<string, string> }>((pkg.contributes.colors ?? []).map((c: { id: string }) => [c.id, c]));
    for (const hue of TAG_PALETTE) {
      const c = colors.get(tagColorId(hue));
      assert.ok(c, `${tagColorId(hue)} contributed`);
      for (const kind of ['dark', 'light', 'highContrast', 'highContrastLight']) assert.match(c.defaults[kind], /^#[0-9a-f]{6}$/i, `${hue} ${kind}`);
    }
  });
});

describe('which tag colours a guest', () => {
  const style = parseTagStyle('color-map=prod:c62828:ffffff;k8s:1565c0;lab:2e7d32,ordering=alphabetical');

  it('the first mapped tag in alphabetical order; unmapped tags do not count', () => {
    assert.deepEqual(styledTag(['web', 'prod', 'k8s'], style), { tag: 'k8s', bg: '#1565c0' });
    assert.deepEqual(styledTag(['web', 'dns'], style), undefined);
    assert.deepEqual(styledTag([], style), undefined);
  });

  it('ordering=config keeps the guest\'s own order', () => {
    const config = parseTagStyle('color-map=prod:c62828;k8s:1565c0,ordering=config');
    assert.deepEqual(styledTag(['prod', 'k8s'], config), { tag: 'prod', bg: '#c62828' });
  });

  it('matches case-insensitively unless the style is case-sensitive', () => {
    assert.deepEqual(styledTag(['PROD'], style), { tag: 'PROD', bg: '#c62828' });
    const strict = parseTagStyle('color-map=prod:c62828,case-sensitive=1');
    assert.equal(styledTag(['PROD'], strict), undefined);
    assert.deepEqual(styledTag(['prod'], strict), { tag: 'prod', bg: '#c62828' });
  });
});
