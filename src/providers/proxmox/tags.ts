// Guest tags with PVE's rules (pve-tag-list: `[a-z0-9_][a-z0-9_+.-]*`, case-insensitive, stored
// `;`-separated) and the cluster's tag style (`/cluster/options` tag-style: color-map, ordering,
// shape, case-sensitive). Tags without a colour in the map get the web UI's derived colour.
import { InvalidInputError } from './errors';
import { guestPath, type GuestApi, type GuestRef } from './guests';

const TAG = /^[a-z0-9_][a-z0-9_\-+.]*$/i;

/** Why PVE would refuse `tag`, or undefined. */
export function checkTag(tag: string): string | undefined {
  if (!tag) return 'Enter a tag.';
  if (!/^[a-z0-9_]/i.test(tag)) return `A tag must start with a letter, a digit or "_" (invalid tag '${tag}').`;
  if (!TAG.test(tag)) {
    const bad = tag.match(/[^a-z0-9_\-+.]/i)![0];
    return `"${bad === ' ' ? 'space' : bad}" is not allowed in a tag: use letters, digits and _ - + .`;
  }
  return undefined;
}

/** `a;b,c d` -> [a, b, c]: PVE accepts `;`, `,` and spaces as separators. */
export function parseTags(value: string | undefined): string[] {
  return String(value ?? '').split(/[;, ]+/).filter(Boolean);
}

export interface TagStyle {
  /** Tag -> background and optional text colour, `#rrggbb`. */
  colorMap: Map<string, { bg: string; fg?: string }>;
  ordering: 'alphabetical' | 'config';
  shape: 'full' | 'circle' | 'dense' | 'none';
  caseSensitive: boolean;
}

export const DEFAULT_TAG_STYLE: TagStyle = { colorMap: new Map(), ordering: 'alphabetical', shape: 'circle', caseSensitive: false };

/** The value PVE stores for a tag list: unique (case-insensitive unless the style says so), ordered as the style says, `;`-joined. */
export function formatTags(tags: readonly string[], style: Pick<TagStyle, 'ordering' | 'caseSensitive'> = DEFAULT_TAG_STYLE): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const t of tags.map((x) => x.trim()).filter(Boolean)) {
    const bad = checkTag(t);
    if (bad) throw new InvalidInputError('tags', bad);
    const key = style.caseSensitive ? t : t.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(t);
  }
  if (style.ordering === 'alphabetical') out.sort((a, b) => a.localeCompare(b));
  return out.join(';');
}

export function addTag(current: string | undefined, tag: string, style?: TagStyle): string {
  return formatTags([...parseTags(current), tag], style);
}

export function removeTag(current: string | undefined, tag: string, style: TagStyle = DEFAULT_TAG_STYLE): string {
  const same = (t: string) => (style.caseSensitive ? t === tag : t.toLowerCase() === tag.toLowerCase());
  return formatTags(parseTags(current).filter((t) => !same(t)), style);
}

/** Parses tag-style: `color-map=prod:c62828:ffffff;lab:2e7d32,ordering=config,shape=full,case-sensitive=1`. */
export function parseTagStyle(value: string | undefined): TagStyle {
  const style: TagStyle = { ...DEFAULT_TAG_STYLE, colorMap: new Map() };
  for (const part of String(value ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 'color-map') {
      for (const entry of v.split(';')) {
        const m = /^([^:]+):([0-9a-f]{6})(?::([0-9a-f]{6}))?$/i.exec(entry.trim());
        if (m && !checkTag(m[1])) style.colorMap.set(m[1], { bg: `#${m[2].toLowerCase()}`, ...(m[3] ? { fg: `#${m[3].toLowerCase()}` } : {}) });
      }
    } else if (k === 'ordering' && (v === 'alphabetical' || v === 'config')) style.ordering = v;
    else if (k === 'shape' && ['full', 'circle', 'dense', 'none'].includes(v)) style.shape = v as TagStyle['shape'];
    else if (k === 'case-sensitive') style.caseSensitive = /^(1|true|yes|on)$/i.test(v);
  }
  return style;
}

const hex = (rgb: number[]) => '#' + rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('');

/** The colour the web UI derives for a tag without a mapped one (Proxmox.Utils.stringToRGB: a
 *  string hash of tag + "prox", lightened 70/30 towards white), and black or white text by luminance. */
export function derivedTagColor(tag: string): { bg: string; fg: string } {
  let hash = 0;
  const s = tag + 'prox';
  for (let i = 0; i < s.length; i++) {
    hash = s.charCodeAt(i) + ((hash << 5) - hash);
    hash = hash & hash;
  }
  const rgb = [hash & 255, (hash >> 8) & 255, (hash >> 16) & 255].map((c) => c * 0.7 + 255 * 0.3);
  return { bg: hex(rgb), fg: textColorFor(rgb) };
}

/** Black or white text on `rgb`, by relative luminance (WCAG). */
export function textColorFor(rgb: number[]): string {
  const lin = rgb.map((c) => {
    const x = c / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  });
  const l = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
  return l > 0.179 ? '#000000' : '#ffffff';
}

/** The colours of `tag`: the cluster's map first (case-insensitively unless case-sensitive), else derived. */
export function tagColor(tag: string, style: TagStyle = DEFAULT_TAG_STYLE): { bg: string; fg: string; mapped: boolean } {
  let hit = style.colorMap.get(tag);
  if (!hit && !style.caseSensitive) {
    for (const [k, v] of style.colorMap) if (k.toLowerCase() === tag.toLowerCase()) hit = v;
  }
  if (hit) {
    const rgb = [1, 3, 5].map((i) => parseInt(hit!.bg.slice(i, i + 2), 16));
    return { bg: hit.bg, fg: hit.fg ?? textColorFor(rgb), mapped: true };
  }
  return { ...derivedTagColor(tag), mapped: false };
}

export async function clusterTagStyle(api: GuestApi): Promise<TagStyle> {
  const o = await api.get<Record<string, unknown>>('/cluster/options');
  return parseTagStyle(typeof o?.['tag-style'] === 'string' ? (o['tag-style'] as string) : undefined);
}

/** Writes the guest's tags; with `digest` a concurrent change is refused (ConfigChangedError via classifyGuestError). */
export function setGuestTags(api: GuestApi, g: GuestRef, tags: readonly string[], o: { digest?: string; style?: TagStyle } = {}): Promise<null> {
  const value = formatTags(tags, o.style);
  const params: Record<string, string> = value ? { tags: value } : { delete: 'tags' };
  if (o.digest) params.digest = o.digest;
  return api.put<null>(guestPath(g, 'config'), params);
}
