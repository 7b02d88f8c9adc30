// Message parts shared by the journal and tracker panels.
import { Check, isArrayOf, isBoolean, isNumber, isOneOf, isOptional, isPositiveInt, isShape, isShortString, isString } from './validate';

export type NoticeLevel = 'info' | 'warning' | 'error';
export interface Notice { level: NoticeLevel; message: string }
export const isNotice: Check<Notice> = isShape<Notice>({ level: isOneOf(['info', 'warning', 'error'] as const), message: isString });

export type Empty = Record<string, never>;
export const isEmpty: Check<Empty> = isShape<Empty>({});

/** Result of an edit made from a panel: `message` says what happened when it was not applied as asked. */
export interface EditResult {
  ok: boolean;
  outcome?: 'applied' | 'reapplied' | 'unchanged';
  message?: string;
}
export const isEditResult: Check<EditResult> = isShape<EditResult>({
  ok: isBoolean,
  outcome: isOptional(isOneOf(['applied', 'reapplied', 'unchanged'] as const)),
  message: isOptional(isString),
});

/** A file the panel shows, named by the key the host gave it (the host maps keys back to URIs). */
export const isKey = isShortString(4096);
export const isLine = isPositiveInt;
export const isHash = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{16}$/.test(v);

export interface IssueView { line: number; endLine: number; severity: 'error' | 'warning'; message: string }
export const isIssueView: Check<IssueView> = isShape<IssueView>({
  line: isNumber, endLine: isNumber, severity: isOneOf(['error', 'warning'] as const), message: isString,
});

export const isStringArray = isArrayOf(isString);
