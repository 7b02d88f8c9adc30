// New journal entries (shaped like the user's phase retrospectives) and the README link to them.
import { appendToSection, findSection } from './insert';
import { scan } from './scan';
import { assertName } from '../names';

export interface NewEntryOptions {
  /** YYYY-MM-DD or a Date (its UTC day is used). */
  date: string | Date;
  title: string;
  phase?: string | number;
}

function isoDay(date: string | Date): string {
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new RangeError('Entry date is not a valid date');
    return date.toISOString().slice(0, 10);
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  const t = m ? Date.parse(`${m[0]}T00:00:00Z`) : NaN;
  if (!m || Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== m[0]) {
    throw new RangeError(`Entry date "${date}" is not a valid YYYY-MM-DD date`);
  }
  return m[0];
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

/** File name for an entry: `YYYY-MM-DD-title-slug.md` (the date in the name is what the reader uses). */
export function entryFileName(opts: { date: string | Date; title: string }): string {
  const slug = oneLine(opts.title).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  // Safe by construction; checked anyway, as every name that becomes a file is.
  return assertName('entry', `${isoDay(opts.date)}${slug ? `-${slug}` : ''}.md`);
}

/** Markdown for a new retrospective entry (LF endings, final newline). */
export function newEntry(opts: NewEntryOptions): string {
  const date = isoDay(opts.date);
  const title = oneLine(opts.title);
  if (title === '') throw new RangeError('Entry title is empty');
  const phase = opts.phase !== undefined && String(opts.phase).trim() !== '' ? oneLine(String(opts.phase)) : undefined;
  const meta = [`**Date**: ${date}  `];
  if (phase) meta.push(`**Phase**: ${phase}  `);
  meta.push('**Status**: In progress');
  return [
    `# ${title}`,
    '',
    ...meta,
    '',
    '## What We Built',
    '',
    '### **Summary**',
    '- ',
    '',
    '## Problem-Solving Journey',
    '',
    '### **Challenge 1: **',
    '**Problem**: ',
    '**Root Cause**: ',
    '**Solution**: ',
    '',
    '## Key Learning Moments',
    '',
    '### ****',
    '- ',
    '',
    '## Impact and Results',
    '',
    '### **Time Investment vs Results**',
    '**Estimated**: ',
    '',
    '**Actual**: ',
    '',
    "## What's Next",
    '',
    '### **Immediate (Next Sprint)**',
    '- ',
    '',
    '---',
    '',
    `*Journal entry for ${date}${phase ? `, phase ${phase}` : ''}.*`,
    '',
  ].join('\n');
}

function hrefFor(relPath: string): string {
  let p = relPath.replace(/\\/g, '/');
  if (!p.startsWith('./') && !p.startsWith('../') && !p.startsWith('/')) p = `./${p}`;
  return /[\s()<>]/.test(p) ? `<${p}>` : p;
}

function sameHref(a: string, b: string): boolean {
  const n = (x: string): string => x.replace(/^<|>$/g, '').replace(/^\.\//, '');
  return n(a) === n(b);
}

/**
 * README bytes with `- [title](./relPath)` added to its "Journal entries" section, created (before a
 * closing `---` footer if there is one, else at the end) when missing. Unchanged if already linked.
 */
export function linkEntryFromReadme(readmeBytes: Uint8Array, relPath: string, title: string): Buffer {
  const href = hrefFor(relPath);
  const label = oneLine(title).replace(/([[\]\\])/g, '\\$1');
  const item = `- [${label}](${href})`;
  const section = /journal entries/i;
  const sec = findSection(readmeBytes, section);
  const s = scan(readmeBytes);
  if (sec) {
    for (let i = sec.heading + 1; i < sec.contentEnd; i++) {
      for (const m of s.lines[i].text.matchAll(/\]\(\s*(<[^>]*>|[^)\s]+)/g)) {
        if (sameHref(m[1], href)) return Buffer.from(readmeBytes);
      }
    }
    return appendToSection(readmeBytes, section, '', [item]);
  }
  return appendToSection(readmeBytes, section, '## Journal entries', [item], footerStart(s));
}

/** Index of a trailing `---` footer (thematic break after the last heading, no heading after it). */
function footerStart(s: ReturnType<typeof scan>): number | undefined {
  const lastHeading = s.headings.length ? s.headings[s.headings.length - 1].index : -1;
  for (let i = s.lines.length - 1; i > lastHeading; i--) {
    const l = s.lines[i];
    const tail = s.lines.slice(i + 1).filter((x) => x.text.trim() !== '').length;
    if (!l.code && tail <= 3 && /^ {0,3}(-{3,}|\*{3,}|_{3,})\s*$/.test(l.text) && (i === 0 || s.lines[i - 1].text.trim() === '')) {
      // Insert after the blank line that precedes the rule so the rule keeps its spacing.
      return i;
    }
  }
  return undefined;
}

