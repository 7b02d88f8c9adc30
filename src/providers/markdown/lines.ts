// Byte-level line model shared by every reader and writer here. Lines are kept as raw bytes so a
// write can reproduce every byte it did not mean to change (EOLs, mojibake, invalid UTF-8).
import { createHash } from 'node:crypto';

export interface RawLine {
  /** Content bytes, without the line ending. */
  content: Buffer;
  /** '\n', '\r\n' or '' (last line without final newline). */
  eol: string;
}

export type Eol = '\n' | '\r\n';

const LF = 0x0a;
const CR = 0x0d;

export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Splits on LF; a CR right before the LF belongs to the line ending. Lone CRs stay content. */
export function splitLines(bytes: Uint8Array): RawLine[] {
  const buf = toBuffer(bytes);
  const lines: RawLine[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(LF, start);
    if (nl < 0) {
      // No final newline: the last line has eol ''. An empty tail after a final '\n' is not a line.
      if (start < buf.length) lines.push({ content: buf.subarray(start), eol: '' });
      break;
    }
    const crlf = nl > start && buf[nl - 1] === CR;
    lines.push({ content: buf.subarray(start, crlf ? nl - 1 : nl), eol: crlf ? '\r\n' : '\n' });
    start = nl + 1;
  }
  return lines;
}

export function joinLines(lines: readonly RawLine[]): Buffer {
  const parts: Buffer[] = [];
  for (const l of lines) {
    parts.push(l.content);
    if (l.eol) parts.push(l.eol === '\n' ? NL_BUF : CRLF_BUF);
  }
  return Buffer.concat(parts);
}
const NL_BUF = Buffer.from('\n');
const CRLF_BUF = Buffer.from('\r\n');

/** The line ending most lines use; LF when there is none. */
export function dominantEol(lines: readonly RawLine[]): Eol {
  let crlf = 0;
  let lf = 0;
  for (const l of lines) {
    if (l.eol === '\r\n') crlf++;
    else if (l.eol === '\n') lf++;
  }
  return crlf > lf ? '\r\n' : '\n';
}

const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Lossy decode for reading only (invalid bytes become U+FFFD); never used to write. */
export function decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * Hash of a line's content bytes (not its ending): what a locator checks before an edit. Two
 * 32-bit FNV-1a passes (64 bits): not cryptographic, it only has to notice that a line changed,
 * and it is ~10x cheaper than creating a crypto hash per table row.
 */
export function lineHash(content: Uint8Array): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ content.length;
  for (let i = 0; i < content.length; i++) {
    a = Math.imul(a ^ content[i], 0x01000193);
    b = Math.imul(b ^ content[i], 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Strips a UTF-8 BOM from the first line's decoded text. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
