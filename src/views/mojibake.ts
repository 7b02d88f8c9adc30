// Display-only repair of double-encoded text: UTF-8 bytes once read as Windows-1252 or MacRoman and
// saved again as UTF-8 ("âœ…" or "‚úÖ" for "✅"), as in the user's own journal and tracker files.
// Used on what the panels SHOW; files are never rewritten with it (the writers copy bytes as they are).

type Table = Map<string, number>;

// Windows-1252 bytes 0x80-0x9F (Node's TextDecoder treats 'windows-1252' as Latin-1 there); the
// five bytes cp1252 leaves undefined decode to the C1 control of the same value, as in WHATWG.
const CP1252_80 = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008dŽ\u008f\u0090‘’“”•–—˜™š›œ\u009džŸ';

function cp1252(): Table {
  const map: Table = new Map();
  for (let b = 0x80; b <= 0x9f; b++) map.set(CP1252_80[b - 0x80], b);
  for (let b = 0xa0; b <= 0xff; b++) map.set(String.fromCharCode(b), b);
  return map;
}

function macRoman(): Table | undefined {
  try {
    const dec = new TextDecoder('macintosh');
    const map: Table = new Map();
    for (let b = 0x80; b <= 0xff; b++) map.set(dec.decode(Uint8Array.of(b)), b);
    return map;
  } catch {
    return undefined; // a runtime without that legacy decoder: show the text as it is
  }
}

const tables = [cp1252(), macRoman()].filter((t): t is Table => t !== undefined);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function seqLength(lead: number): number {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

function repairWith(text: string, table: Table): string {
  const chars = [...text];
  let out = '';
  let changed = false;
  for (let i = 0; i < chars.length; i++) {
    const lead = table.get(chars[i]);
    const n = lead === undefined ? 0 : seqLength(lead);
    // MacRoman's 0xF0 is the Apple logo (U+F8FF), which copy and paste tends to drop: an emoji then
    // shows as three characters starting with byte 0x9F ("üîπ" for 🔹). Decode those as F0 9F xx xx.
    if (n === 0 && lead === 0x9f && chars[i] === 'ü' && i + 2 < chars.length) {
      const b1 = table.get(chars[i + 1]);
      const b2 = table.get(chars[i + 2]);
      if (b1 !== undefined && b2 !== undefined && b1 >= 0x80 && b1 <= 0xbf && b2 >= 0x80 && b2 <= 0xbf) {
        try {
          out += utf8.decode(Uint8Array.from([0xf0, 0x9f, b1, b2]));
          i += 2;
          changed = true;
          continue;
        } catch { /* not an emoji: keep the characters */ }
      }
    }
    if (n > 0 && i + n <= chars.length) {
      const bytes: number[] = [lead!];
      for (let k = 1; k < n; k++) {
        const b = table.get(chars[i + k]);
        if (b === undefined || b < 0x80 || b > 0xbf) break;
        bytes.push(b);
      }
      if (bytes.length === n) {
        try {
          out += utf8.decode(Uint8Array.from(bytes));
          i += n - 1;
          changed = true;
          continue;
        } catch { /* not a UTF-8 sequence: keep the characters */ }
      }
    }
    out += chars[i];
  }
  return changed ? out : text;
}

/** The text with mojibake sequences decoded; text without any is returned unchanged. */
export function repairMojibake(text: string): string {
  // Cheap test first: every mojibake sequence starts with a non-ASCII character.
  if (!/[^\x00-\x7f]/.test(text)) return text;
  for (const t of tables) {
    const fixed = repairWith(text, t);
    if (fixed !== text) return fixed;
  }
  return text;
}
