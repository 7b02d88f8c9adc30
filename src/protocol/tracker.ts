// Messages of the learning-tracker panel (homelab.tracker). Imported by src/views/tracker and
// webview-ui/tracker.main.ts; both sides validate what they receive with the checks below.
import { MessageChecks, requestType, validateMessage, type ParamsOf, type ResultOf } from './envelope';
import {
  EditResult, Empty, IssueView, Notice, isEditResult, isEmpty, isHash, isIssueView, isKey, isLine, isNotice, isStringArray,
} from './common';
import { Check, isArrayOf, isBoolean, isNumber, isOneOf, isOptional, isShape, isString } from './validate';

export const TRACKER_VIEW_TYPE = 'homelab.tracker';

export type StoryStatus = 'todo' | 'in-progress' | 'done';
export const STORY_STATUS_VALUES: readonly StoryStatus[] = ['todo', 'in-progress', 'done'];
const isStatus = isOneOf(STORY_STATUS_VALUES);

export interface ProgressView {
  storiesDone: number;
  storiesInProgress: number;
  storiesTotal: number;
  itemsChecked: number;
  itemsTotal: number;
  percent: number;
}
export interface StoryView {
  line: number;
  hash: string;
  id: string;
  /** Rendered (sanitised) inline markdown of every cell, in column order. */
  cells: string[];
  status: StoryStatus;
  statusText: string;
}
export interface ColumnView { html: string; role?: string }
export interface TableView { line: number; columns: ColumnView[]; statusColumn: number; stories: StoryView[] }
export interface CheckView { line: number; hash: string; html: string; checked: boolean; depth: number }
export interface SectionView {
  title: string;
  kind: 'epic' | 'goals' | 'section';
  epicId?: string;
  line: number;
  path: string[];
  progress: ProgressView;
  tables: TableView[];
  checklist: CheckView[];
}
export interface TrackerFileView {
  key: string;
  label: string;
  title: string;
  progress: ProgressView;
  issues: IssueView[];
  /** Set when the whole file could not be shown (too large, unreadable). */
  error?: string;
  readonly: boolean;
  sections: SectionView[];
}
export interface TrackerState {
  files: TrackerFileView[];
  progress: ProgressView;
  globs: string[];
}

const isProgress: Check<ProgressView> = isShape<ProgressView>({
  storiesDone: isNumber, storiesInProgress: isNumber, storiesTotal: isNumber, itemsChecked: isNumber, itemsTotal: isNumber, percent: isNumber,
});
const isStory: Check<StoryView> = isShape<StoryView>({ line: isLine, hash: isHash, id: isString, cells: isStringArray, status: isStatus, statusText: isString });
const isColumn: Check<ColumnView> = isShape<ColumnView>({ html: isString, role: isOptional(isString) });
const isTable: Check<TableView> = isShape<TableView>({ line: isLine, columns: isArrayOf(isColumn), statusColumn: isNumber, stories: isArrayOf(isStory) });
const isCheck: Check<CheckView> = isShape<CheckView>({ line: isLine, hash: isHash, html: isString, checked: isBoolean, depth: isNumber });
const isSection: Check<SectionView> = isShape<SectionView>({
  title: isString, kind: isOneOf(['epic', 'goals', 'section'] as const), epicId: isOptional(isString), line: isNumber,
  path: isStringArray, progress: isProgress, tables: isArrayOf(isTable), checklist: isArrayOf(isCheck),
});
const isFile: Check<TrackerFileView> = isShape<TrackerFileView>({
  key: isKey, label: isString, title: isString, progress: isProgress, issues: isArrayOf(isIssueView),
  error: isOptional(isString), readonly: isBoolean, sections: isArrayOf(isSection),
});
export const isTrackerState: Check<TrackerState> = isShape<TrackerState>({ files: isArrayOf(isFile), progress: isProgress, globs: isStringArray });

// Webview -> host.
export interface SetStatusParams { key: string; line: number; hash: string; status: StoryStatus }
export interface ToggleParams { key: string; line: number; hash: string; checked: boolean }
export interface OpenParams { key: string; line: number }

/** Set a story's status (an edit writes the file: a longer timeout than a read). */
export const SetStatusRequest = requestType<SetStatusParams, EditResult>()('setStatus', { timeoutMs: 30_000 });
/** Check or uncheck a checklist item. */
export const ToggleRequest = requestType<ToggleParams, EditResult>()('toggle', { timeoutMs: 30_000 });

export interface TrackerToHost {
  /** Command: the page is ready for its state. */
  ready: Empty;
  /** Command: read the files again. */
  refresh: Empty;
  /** Command: open the markdown file in an editor at a line. */
  open: OpenParams;
  setStatus: ParamsOf<typeof SetStatusRequest>;
  toggle: ParamsOf<typeof ToggleRequest>;
}
export const trackerToHost: MessageChecks<TrackerToHost> = {
  ready: isEmpty,
  refresh: isEmpty,
  open: isShape<OpenParams>({ key: isKey, line: isLine }),
  setStatus: isShape<SetStatusParams>({ key: isKey, line: isLine, hash: isHash, status: isStatus }),
  toggle: isShape<ToggleParams>({ key: isKey, line: isLine, hash: isHash, checked: isBoolean }),
};
export const TRACKER_REQUESTS = [SetStatusRequest.method, ToggleRequest.method] as const;

// Host -> webview.
export interface TrackerToWebview {
  state: TrackerState;
  notice: Notice;
  'setStatus/response': ResultOf<typeof SetStatusRequest>;
  'toggle/response': ResultOf<typeof ToggleRequest>;
}
export const trackerToWebview: MessageChecks<TrackerToWebview> = {
  state: isTrackerState,
  notice: isNotice,
  'setStatus/response': isEditResult,
  'toggle/response': isEditResult,
};

export function isValidTrackerToHost(v: unknown) {
  return validateMessage(trackerToHost, v, { requireId: TRACKER_REQUESTS });
}
export function isValidTrackerToWebview(v: unknown) {
  return validateMessage(trackerToWebview, v);
}

/** What the webview keeps across reloads (vscode.setState) and the serializer hands back. */
export interface TrackerViewState { collapsed: string[]; filter: 'all' | 'open'; scrollY: number }
export const isTrackerViewState: Check<TrackerViewState> = isShape<TrackerViewState>({
  collapsed: isArrayOf(isString, 10_000), filter: isOneOf(['all', 'open'] as const), scrollY: isNumber,
});
