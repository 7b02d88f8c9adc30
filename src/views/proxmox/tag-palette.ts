// Which of Homelab's tag colours (contributed theme colours `homelab.tag.*`) stands for a cluster's
// tag colour. VS Code colours tree items only with theme colour ids (a ThemeIcon's colour and a
// FileDecoration's colour are both ThemeColors; an arbitrary #rrggbb is not accepted), so the
// cluster's colour is mapped to the nearest hue of a small palette that themes can restyle.
// No `vscode` import: unit-tested.
import type { TagStyle } from '../../providers/proxmox/tags';

export const TAG_PALETTE = ['red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink', 'gray'] as const;
export type TagHue = (typeof TAG_PALETTE)[number];

const HUES: Array<[TagHue, number]> = [['red', 0], ['orange', 30], ['yellow', 55], ['green', 120], ['teal', 175], ['blue', 215], ['purple', 275], ['pink', 325], ['red', 360]];

/** Hue (0-360), saturation and lightness (0-1) of `#rrggbb`; undefined for anything else. */
export function hsl(hex: string): { h: number; s: number; l: number } | undefined {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
  if (!m) return undefined;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  const d = max - min;
  if (d === 0) return { h: 0, s: 0, l };
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? 60 * (((g - b) / d + 6) % 6) : max === g ? 60 * ((b - r) / d + 2) : 60 * ((r - g) / d + 4);
  return { h, s, l };
}

/** The palette entry nearest to `hex` by hue; greys (and near-black / near-white) map to gray. */
export function nearestTagHue(hex: string): TagHue | undefined {
  const c = hsl(hex);
  if (!c) return undefined;
  if (c.s < 0.18 || c.l < 0.08 || c.l > 0.94) return 'gray';
  let best: TagHue = 'red';
  let dist = Infinity;
  for (const [name, h] of HUES) {
    const d = Math.abs(c.h - h);
    if (d < dist) {
      dist = d;
      best = name;
    }
  }
  return best;
}

/** The theme colour id of a palette entry (declared in package.json contributes.colors). */
export const tagColorId = (hue: TagHue) => `homelab.tag.${hue}`;

/** The first of `tags` (in the style's order) that the cluster's colour map colours, with that colour. */
export function styledTag(tags: string[], style: TagStyle): { tag: string; bg: string } | undefined {
  const ordered = style.ordering === 'alphabetical' ? [...tags].sort((a, b) => a.localeCompare(b)) : tags;
  for (const tag of ordered) {
    let hit = style.colorMap.get(tag);
    if (!hit && !style.caseSensitive) for (const [k, v] of style.colorMap) if (k.toLowerCase() === tag.toLowerCase()) hit = v;
    if (hit) return { tag, bg: hit.bg };
  }
  return undefined;
}

