// One pass over a document's lines: decoded text, fenced-code flags and ATX headings. Shared by
// the tracker and journal readers so both agree on what is code and what is structure.
import { RawLine, splitLines, stripBom, toBuffer } from './lines';

export interface ScannedLine {
  raw: RawLine;
  /** Lossy decoded text (U+FFFD for invalid bytes); for reading only. */
  text: string;
  /** Inside a fenced code block (fence lines included). */
  code: boolean;
}

export interface Heading {
  /** 0-based line index. */
  index: number;
  level: number;
  title: string;
}

export interface Scan {
  lines: ScannedLine[];
  headings: Heading[];
  /** 0-based index of an opening fence never closed, if any. */
  unclosedFence?: number;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;

export function scan(bytes: Uint8Array): Scan {
  const raws = splitLines(bytes);
  const lines: ScannedLine[] = new Array(raws.length);
  const headings: Heading[] = [];
  // One decode of the whole buffer is much cheaper than one per line. '\n' never occurs inside a
  // UTF-8 sequence, and an invalid sequence cut by a line end decodes to U+FFFD either way.
  const texts = toBuffer(bytes).toString('utf8').split('\n');
  let fence: string | undefined;
  let fenceStart = -1;
  for (let i = 0; i < raws.length; i++) {
    const raw = raws[i];
    let text = texts[i];
    if (raw.eol === '\r\n') text = text.slice(0, -1);
    if (i === 0) text = stripBom(text);
    if (fence !== undefined) {
      lines[i] = { raw, text, code: true };
      const close = FENCE.exec(text);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length && text.slice(close[0].length).trim() === '') fence = undefined;
      continue;
    }
    const open = FENCE.exec(text);
    if (open && !(open[1][0] === '`' && text.slice(open[0].length).includes('`'))) {
      fence = open[1];
      fenceStart = i;
      lines[i] = { raw, text, code: true };
      continue;
    }
    lines[i] = { raw, text, code: false };
    const h = text.charCodeAt(text.search(/\S/)) === 35 /* # */ ? ATX.exec(text) : null;
    if (h) headings.push({ index: i, level: h[1].length, title: (h[2] ?? '').trim() });
  }
  return { lines, headings, unclosedFence: fence !== undefined ? fenceStart : undefined };
}

