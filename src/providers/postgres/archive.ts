// A structural check of a pg_dump custom-format archive (-Fc), so a dump is counted as good only
// when it ends as pg_dump ends it: the header (`PGDMP`, version, int and offset sizes), the whole
// table of contents read back, then every data block the TOC announces present, each with its
// chunks to the zero-length end marker, and nothing after the last block. A stream cut at any
// point fails this (mid-TOC, mid-block, or exactly between two blocks: a missing block). Read
// sequentially, a window at a time: a 1 GB archive is not held in memory. Formats 1.12-1.16
// (PostgreSQL 11-17), from pg_backup_archiver.c / pg_backup_custom.c.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface ArchiveSummary {
  version: string;
  database: string;
  serverVersion: string;
  dumpVersion: string;
  entries: number;
  dataBlocks: number;
  bytes: number;
}

const BLK_DATA = 1;
const BLK_BLOBS = 3;
const K_OFFSET_NO_DATA = 3;

class Reader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(private readonly fd: number, private readonly window = 1 << 20) {}
  private fill(n: number): void {
    if (this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length) return;
    const size = Math.max(n, this.window);
    const b = Buffer.alloc(size);
    const got = readSync(this.fd, b, 0, size, this.pos);
    this.buf = b.subarray(0, got);
    this.bufStart = this.pos;
  }
  bytes(n: number, what: string): Buffer {
    this.fill(n);
    const off = this.pos - this.bufStart;
    if (off + n > this.buf.length) throw new Error(`the archive ends inside ${what} (at byte ${this.pos})`);
    this.pos += n;
    return this.buf.subarray(off, off + n);
  }
  byte(what: string): number { return this.bytes(1, what)[0]; }
  skip(n: number): void { this.pos += n; }
}

export function verifyCustomArchive(file: string): ArchiveSummary {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const r = new Reader(fd);
    if (r.bytes(5, 'the header').toString('latin1') !== 'PGDMP') throw new Error('not a pg_dump custom-format archive (no PGDMP header)');
    const vmaj = r.byte('the header'); const vmin = r.byte('the header'); const vrev = r.byte('the header');
    const intSize = r.byte('the header'); const offSize = r.byte('the header'); const format = r.byte('the header');
    const v = (a: number, b: number) => vmaj > a || (vmaj === a && vmin >= b);
    if (vmaj !== 1 || vmin < 12 || vmin > 16) throw new Error(`archive format ${vmaj}.${vmin} is not one this check knows (1.12-1.16)`);
    if (intSize < 1 || intSize > 8 || offSize < 1 || offSize > 8) throw new Error('the archive header has impossible int/offset sizes');
    if (format !== 1) throw new Error(`the archive is not in the custom format (format ${format})`);
    const int = (what: string): number => {
      const sign = r.byte(what);
      const b = r.bytes(intSize, what);
      let n = 0;
      for (let i = intSize - 1; i >= 0; i--) n = n * 256 + b[i];
      return sign ? -n : n;
    };
    const str = (what: string): string | null => {
      const len = int(what);
      if (len < 0) return null;
      if (len > 1 << 30) throw new Error(`impossible string length in ${what}`);
      return r.bytes(len, what).toString('utf8');
    };
    if (v(1, 15)) r.byte('the header'); else int('the header'); // compression
    for (let i = 0; i < 7; i++) int('the header'); // creation time
    const database = str('the header') ?? '';
    const serverVersion = str('the header') ?? '';
    const dumpVersion = str('the header') ?? '';
    const count = int('the table of contents');
    if (count < 0) throw new Error('negative TOC entry count');
    const withData = new Set<number>();
    for (let i = 0; i < count; i++) {
      const what = `TOC entry ${i + 1} of ${count}`;
      const dumpId = int(what);
      int(what); // hadDumper
      str(what); str(what); str(what); str(what); // tableoid, oid, tag, desc
      int(what); // section
      str(what); str(what); str(what); str(what); str(what); // defn, dropStmt, copyStmt, namespace, tablespace
      if (v(1, 14)) str(what); // tableam
      if (v(1, 16)) int(what); // relkind
      str(what); str(what); // owner, "false" (with oids)
      for (let d = 0; d < 100_000 && str(what) !== null; d++) { /* dependencies up to the NULL */ }
      const state = r.byte(what);
      r.bytes(offSize, what);
      if (state !== K_OFFSET_NO_DATA) withData.add(dumpId);
    }
    const seen = new Set<number>();
    const chunks = (what: string) => { for (let len = int(what); len !== 0; len = int(what)) { if (len < 0) throw new Error(`negative chunk length in ${what}`); r.skip(len); if (r.pos > fileSize) throw new Error(`the archive ends inside a chunk of ${what} (cut short)`); } };
    while (r.pos < fileSize) {
      const type = r.byte('a data block');
      const id = int('a data block');
      const what = `the data block of TOC entry ${id}`;
      if (type === BLK_DATA) chunks(what);
      else if (type === BLK_BLOBS) { for (let oid = int(what); oid !== 0; oid = int(what)) chunks(what); }
      else throw new Error(`unknown block type ${type} at byte ${r.pos - 1 - intSize - 1}`);
      if (!withData.has(id)) throw new Error(`a data block for TOC entry ${id}, which announces no data`);
      seen.add(id);
    }
    const size = r.pos;
    const missing = [...withData].filter((id) => !seen.has(id));
    if (missing.length) throw new Error(`the archive ends before the data of ${missing.length} TOC entr${missing.length === 1 ? 'y' : 'ies'} (cut short)`);
    return { version: `${vmaj}.${vmin}-${vrev}`, database, serverVersion, dumpVersion, entries: count, dataBlocks: seen.size, bytes: size };
  } finally { closeSync(fd); }
}
