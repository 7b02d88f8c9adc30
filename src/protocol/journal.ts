// Messages of the journal panel (homelab.journal). Imported by src/views/journal and
// webview-ui/journal.main.ts; both sides validate what they receive with the checks below.
import { MessageChecks, requestType, validateMessage, type ParamsOf, type ResultOf } from './envelope';
import { Empty, Notice, isEmpty, isKey, isLine, isNotice, isStringArray } from './common';
import { Check, isArrayOf, isBoolean, isNumber, isOneOf, isOptional, isShape, isShortString, isString } from './validate';

export const JOURNAL_VIEW_TYPE = 'homelab.journal';

export type PhaseStatus = 'complete' | 'in-progress' | 'planned' | 'unknown';
export interface PhaseView {
  number: string;
  title: string;
  name: string;
  line: number;
  status: PhaseStatus;
  statusText: string;
  duration?: string;
  focus?: string;
  achievements: string[];
  /** Key of the retrospective entry when the README links one that exists. */
  retrospective?: string;
}
export interface EntryView {
  key: string;
  label: string;
  title: string;
  date?: string;
  dateSource: 'filename' | 'content' | 'mtime' | 'none';
  excerpt: string;
}
export interface ActivityView {
  line: number;
  when: string;
  result: string;
  what: string;
  cluster?: string;
  target?: string;
  durationMs?: number;
}
export interface JournalState {
  /** The folder setting as written (workspace-relative). */
  folder: string;
  exists: boolean;
  readme?: { key: string; title: string; phases: PhaseView[] };
  entries: EntryView[];
  activity: ActivityView[];
  error?: string;
}

const isPhase: Check<PhaseView> = isShape<PhaseView>({
  number: isString, title: isString, name: isString, line: isNumber,
  status: isOneOf(['complete', 'in-progress', 'planned', 'unknown'] as const), statusText: isString,
  duration: isOptional(isString), focus: isOptional(isString), achievements: isStringArray, retrospective: isOptional(isKey),
});
const isEntry: Check<EntryView> = isShape<EntryView>({
  key: isKey, label: isString, title: isString, date: isOptional(isString),
  dateSource: isOneOf(['filename', 'content', 'mtime', 'none'] as const), excerpt: isString,
});
const isActivity: Check<ActivityView> = isShape<ActivityView>({
  line: isLine, when: isString, result: isString, what: isString,
  cluster: isOptional(isString), target: isOptional(isString), durationMs: isOptional(isNumber),
});
export const isJournalState: Check<JournalState> = isShape<JournalState>({
  folder: isString, exists: isBoolean,
  readme: isOptional(isShape<{ key: string; title: string; phases: PhaseView[] }>({ key: isKey, title: isString, phases: isArrayOf(isPhase) })),
  entries: isArrayOf(isEntry), activity: isArrayOf(isActivity), error: isOptional(isString),
});

export interface EntryContent { key: string; title: string; date?: string; html: string; error?: string }
export const isEntryContent: Check<EntryContent> = isShape<EntryContent>({
  key: isKey, title: isString, date: isOptional(isString), html: isString, error: isOptional(isString),
});
export interface SearchHitView { key: string; title: string; date?: string; snippet: string; highlights: Array<[number, number]> }
const isRange = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && isNumber(v[0]) && isNumber(v[1]);
export interface SearchResult { query: string; hits: SearchHitView[] }
export const isSearchResult: Check<SearchResult> = isShape<SearchResult>({
  query: isString,
  hits: isArrayOf(isShape<SearchHitView>({ key: isKey, title: isString, date: isOptional(isString), snippet: isString, highlights: isArrayOf(isRange) })),
});

// Requests, each bound to its response.
/** The rendered entry. */
export const ShowRequest = requestType<{ key: string }, EntryContent>()('show');
/** Search every entry. */
export const SearchRequest = requestType<{ query: string }, SearchResult>()('search');

// Webview -> host.
export interface JournalToHost {
  ready: Empty;
  refresh: Empty;
  show: ParamsOf<typeof ShowRequest>;
  search: ParamsOf<typeof SearchRequest>;
  /** Command: open the markdown file in an editor (the source of truth). */
  edit: { key: string; line?: number };
  newEntry: Empty;
  createFolder: Empty;
  /** Command: append an activity line as a note to an entry the user picks. */
  addNote: { line: number };
  /** Command: a link clicked inside a rendered entry. */
  openLink: { key: string; href: string };
}
export const journalToHost: MessageChecks<JournalToHost> = {
  ready: isEmpty,
  refresh: isEmpty,
  show: isShape<{ key: string }>({ key: isKey }),
  search: isShape<{ query: string }>({ query: isShortString(500) }),
  edit: isShape<{ key: string; line?: number }>({ key: isKey, line: isOptional(isLine) }),
  newEntry: isEmpty,
  createFolder: isEmpty,
  addNote: isShape<{ line: number }>({ line: isLine }),
  openLink: isShape<{ key: string; href: string }>({ key: isKey, href: isShortString(4096) }),
};
export const JOURNAL_REQUESTS = [ShowRequest.method, SearchRequest.method] as const;

// Host -> webview.
export interface JournalToWebview {
  state: JournalState;
  notice: Notice;
  /** Select an entry (after "New entry"). */
  select: { key: string };
  'show/response': ResultOf<typeof ShowRequest>;
  'search/response': ResultOf<typeof SearchRequest>;
}
export const journalToWebview: MessageChecks<JournalToWebview> = {
  state: isJournalState,
  notice: isNotice,
  select: isShape<{ key: string }>({ key: isKey }),
  'show/response': isEntryContent,
  'search/response': isSearchResult,
};

export function isValidJournalToHost(v: unknown) {
  return validateMessage(journalToHost, v, { requireId: JOURNAL_REQUESTS });
}
export function isValidJournalToWebview(v: unknown) {
  return validateMessage(journalToWebview, v);
}

export interface JournalViewState { selected?: string; query: string }
export const isJournalViewState: Check<JournalViewState> = isShape<JournalViewState>({
  selected: isOptional(isKey), query: isShortString(500),
});
