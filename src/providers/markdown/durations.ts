// Durations as people write them ("8-12 hours", "~8 hours", "2-3 weeks", "a weekend"): the text is
// always kept; a number range in hours is added only when the text has a shape we understand.

export type DurationUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface Duration {
  /** As written (trimmed), always present: an unknown shape is shown as this text. */
  text: string;
  /** Lower and upper bound in hours (equal when a single value); absent when not understood. */
  minHours?: number;
  maxHours?: number;
  unit?: DurationUnit;
  /** "~8 hours", "about 3 days", "8+ hours". */
  approximate?: boolean;
}

/**
 * Working time, not calendar time: a day of effort is 8 hours, a week 40, a month 160. The user's
 * "2-3 weeks without AI vs ~8 hours" compares effort, so this is the reading that makes it comparable.
 */
export const HOURS_PER: Record<DurationUnit, number> = { minute: 1 / 60, hour: 1, day: 8, week: 40, month: 160 };

const UNIT_WORDS: Array<[DurationUnit, RegExp]> = [
  ['minute', /^(m|min|mins|minute|minutes)$/],
  ['hour', /^(h|hr|hrs|hour|hours)$/],
  ['day', /^(d|day|days)$/],
  ['week', /^(w|wk|wks|week|weeks)$/],
  ['month', /^(mo|month|months)$/],
];

function unitOf(word: string): DurationUnit | undefined {
  const w = word.toLowerCase();
  for (const [u, re] of UNIT_WORDS) if (re.test(w)) return u;
  return undefined;
}

// "~8 hours", "8-12 hours", "2 – 3 weeks", "1.5h", "8+ hours", "about 3 days", "2 to 3 weeks".
const AMOUNT = /(~|≈|about\s+|around\s+|approx\.?\s+|approximately\s+|roughly\s+)?(\d+(?:[.,]\d+)?)(?:\s*(?:-|–|—|to)\s*(\d+(?:[.,]\d+)?))?(\+)?\s*(minutes?|mins?|hours?|hrs?|days?|weeks?|wks?|months?|[hdwm])\b/gi;

const num = (s: string): number => Number(s.replace(',', '.'));

/** All durations stated in a piece of text, in order ("2-3 focused sessions totaling ~8 hours" -> [~8 hours]). */
export function findDurations(text: string): Duration[] {
  const out: Duration[] = [];
  for (const m of text.matchAll(AMOUNT)) {
    const unit = unitOf(m[5]);
    if (!unit) continue;
    const a = num(m[2]);
    const b = m[3] !== undefined ? num(m[3]) : a;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const [lo, hi] = a <= b ? [a, b] : [b, a];
    const d: Duration = { text: m[0].trim(), minHours: lo * HOURS_PER[unit], maxHours: hi * HOURS_PER[unit], unit };
    if (m[1] || m[4]) d.approximate = true;
    out.push(d);
  }
  return out;
}

/** One stated duration: the first amount with a unit in `text`, or the text alone (e.g. "a weekend"). */
export function parseDuration(text: string): Duration {
  const t = text.trim();
  const found = findDurations(t)[0];
  if (!found) return { text: t };
  return { ...found, text: t };
}

/** Midpoint in hours, for charts; undefined when the duration was not understood. */
export function midHours(d: Duration | undefined): number | undefined {
  if (!d || d.minHours === undefined || d.maxHours === undefined) return undefined;
  return (d.minHours + d.maxHours) / 2;
}

/** "8–12 h", "~8 h", "80–120 h" for tables; the original text when not understood. */
export function formatHours(d: Duration | undefined): string {
  if (!d) return '';
  if (d.minHours === undefined || d.maxHours === undefined) return d.text;
  const r = (n: number): string => (n >= 10 ? String(Math.round(n)) : String(Math.round(n * 10) / 10));
  const core = d.minHours === d.maxHours ? `${r(d.minHours)} h` : `${r(d.minHours)}–${r(d.maxHours)} h`;
  return d.approximate ? `~${core}` : core;
}
