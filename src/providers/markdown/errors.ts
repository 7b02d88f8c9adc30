// Typed errors and parse issues. Messages are meant to be shown to the user as they are.

export type IssueSeverity = 'error' | 'warning';

export interface ParseIssue {
  file: string;
  /** 1-based line number. */
  line: number;
  /** Last line (1-based, inclusive) of the region the issue covers; edits inside it are refused. */
  endLine: number;
  severity: IssueSeverity;
  code: 'table-missing-separator' | 'table-separator-mismatch' | 'ragged-row' | 'duplicate-story-id' | 'unterminated-fence';
  message: string;
}

export class MarkdownError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The item an edit points at is no longer in the file as the panel saw it. */
export class StaleEditError extends MarkdownError {
  constructor(readonly file: string, readonly line: number, detail: string) {
    super(`${file}:${line}: ${detail}. The file changed since it was displayed; refresh and try again.`);
  }
}

/** The edit targets a region the reader could not parse (e.g. a table without separator row). */
export class UnparseableRegionError extends MarkdownError {
  constructor(readonly file: string, readonly issue: ParseIssue) {
    super(`${file}:${issue.line}: ${issue.message}. Fix the markdown by hand first; Homelab does not rewrite what it cannot parse.`);
  }
}

/** The file changed outside the panel and the edit could not be re-applied safely. */
export class ConflictError extends MarkdownError {
  constructor(readonly path: string, cause?: unknown) {
    super(`${path} was changed outside Homelab and the edit no longer applies; nothing was written. Reload the panel and redo the edit.`, { cause });
  }
}

export class FileTooLargeError extends MarkdownError {
  constructor(readonly path: string, readonly size: number, readonly limit: number) {
    super(`${path} is ${(size / 1048576).toFixed(1)} MB; Homelab edits markdown files up to ${limit / 1048576} MB. Edit it in the text editor instead.`);
  }
}

export class ReadOnlyFileError extends MarkdownError {
  constructor(readonly path: string, cause?: unknown) {
    super(`${path} is read-only; nothing was written. Make it writable and try again.`, { cause });
  }
}
