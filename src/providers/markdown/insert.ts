// Inserting whole lines into a document without touching the others. Shared by the README link,
// entry notes and the activity log.
import { dominantEol, joinLines, RawLine, splitLines } from './lines';
import { scan } from './scan';

/** Inserts `texts` as new lines before line index `at` (0-based; lines.length appends). */
export function insertLines(bytes: Uint8Array, at: number, texts: string[]): Buffer {
  const lines = splitLines(bytes);
  const eol = dominantEol(lines);
  const added: RawLine[] = texts.map((t) => ({ content: Buffer.from(t), eol }));
  if (at >= lines.length) {
    // Appending: the old last line needs an ending; the new last line keeps "no final newline" if that was the style.
    const last = lines[lines.length - 1];
    if (last && last.eol === '') {
      lines[lines.length - 1] = { content: last.content, eol };
      added[added.length - 1] = { content: added[added.length - 1].content, eol: '' };
    }
    return joinLines([...lines, ...added]);
  }
  return joinLines([...lines.slice(0, at), ...added, ...lines.slice(at)]);
}

export interface SectionSpan {
  /** 0-based heading line. */
  heading: number;
  /** 0-based index of the line after the section's last non-blank line. */
  contentEnd: number;
  level: number;
}

/** Finds the first section whose heading matches `title` (case-insensitive, emoji ignored). */
export function findSection(bytes: Uint8Array, title: RegExp): SectionSpan | undefined {
  const s = scan(bytes);
  const k = s.headings.findIndex((h) => title.test(h.title));
  if (k < 0) return undefined;
  const h = s.headings[k];
  let end = s.lines.length;
  for (let j = k + 1; j < s.headings.length; j++) if (s.headings[j].level <= h.level) { end = s.headings[j].index; break; }
  // A thematic break (---) also closes the section for insertion: footers often follow one.
  for (let i = h.index + 1; i < end; i++) {
    if (!s.lines[i].code && /^ {0,3}(-{3,}|\*{3,}|_{3,})\s*$/.test(s.lines[i].text) && (s.lines[i - 1].text.trim() === '')) { end = i; break; }
  }
  let contentEnd = end;
  while (contentEnd > h.index + 1 && s.lines[contentEnd - 1].text.trim() === '') contentEnd--;
  return { heading: h.index, contentEnd, level: h.level };
}

/** Adds list lines at the end of a section; creates the section (at `createAt` or the end) if missing. */
export function appendToSection(bytes: Uint8Array, title: RegExp, heading: string, items: string[], createAt?: number): Buffer {
  const sec = findSection(bytes, title);
  const lines = splitLines(bytes);
  if (sec) {
    // Items follow the section's last non-blank line; an empty section gets a blank line after its heading.
    const block = sec.contentEnd === sec.heading + 1 ? ['', ...items] : [...items];
    const next = lines[sec.contentEnd];
    if (next && next.content.toString('utf8').trim() !== '') block.push('');
    return insertLines(bytes, sec.contentEnd, block);
  }
  const at = createAt ?? lines.length;
  const prevBlank = at === 0 || lines[at - 1]?.content.toString('utf8').trim() === '';
  const block = [...(prevBlank ? [] : ['']), heading, '', ...items];
  if (at < lines.length) block.push('');
  return insertLines(bytes, at, block);
}
