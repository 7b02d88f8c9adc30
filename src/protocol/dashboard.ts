// Messages of the learning dashboard panel (homelab.dashboard). Imported by src/views/dashboard,
// src/providers/markdown/dashboard.ts (types only) and webview-ui/dashboard.main.ts; both sides
// validate what they receive with the checks below.
import { MessageChecks, validateMessage } from './envelope';
import { Empty, Notice, isEmpty, isKey, isLine, isNotice } from './common';
import { Check, isArrayOf, isBoolean, isNumber, isOneOf, isOptional, isRecord, isShape, isShortString, isString } from './validate';

export const DASHBOARD_VIEW_TYPE = 'homelab.dashboard';

export type StoryStatus = 'todo' | 'in-progress' | 'done';
const isStatus = isOneOf(['todo', 'in-progress', 'done'] as const);

export interface StatusCount { done: number; inProgress: number; total: number }
const isCount: Check<StatusCount> = isShape<StatusCount>({ done: isNumber, inProgress: isNumber, total: isNumber });

/** A record whose values all pass `check` (keys are free text: epic numbers, titles). */
function isRecordOf<T>(check: Check<T>, max = 10_000): Check<Record<string, T>> {
  return (v: unknown): v is Record<string, T> => isRecord(v) && Object.keys(v).length <= max && Object.values(v).every(check);
}

export interface HistoryPointView { commit: string; date: string; subject: string; overall: StatusCount; epics: Record<string, StatusCount> }
export interface HistoryView {
  available: boolean;
  /** Why there is no history (not a git repository, git missing, no commits). */
  reason?: string;
  epics: Array<{ key: string; title: string }>;
  points: HistoryPointView[];
}

export interface DurationView {
  /** As written; the only thing shown when minHours is absent ("a weekend"). */
  text: string;
  minHours?: number;
  maxHours?: number;
  approximate?: boolean;
  label: string;
  kind: 'estimate' | 'actual' | 'duration';
  /** Where it is stated. */
  key: string;
  line: number;
}

export interface OperationView { when: string; what: string; result: string; durationMs?: number; cluster?: string; target?: string; line: number }

export interface PhaseSummary {
  number: string;
  name: string;
  status: string;
  /** Estimates stated for the phase (README duration, "Estimated without AI assistance: 2-3 weeks"). */
  estimates: DurationView[];
  actuals: DurationView[];
  /** YYYY-MM-DD bounds when the files give them. */
  from?: string;
  to?: string;
  stories: string[];
  operations: number;
  operationMs: number;
}

export interface MetricItemView { line: number; text: string; kind: 'check' | 'bullet' | 'text'; checked?: boolean }
export interface MetricGroupView { title: string; line: number; checked: number; checkable: number; items: MetricItemView[] }
export interface MetricSectionView {
  key: string;
  label: string;
  title: string;
  line: number;
  checked: number;
  checkable: number;
  percent: number;
  groups: MetricGroupView[];
}
export interface ChecklistView { key: string; label: string; title: string; line: number; checked: number; total: number; percent: number }

export interface WeekView {
  /** Monday of the ISO week, YYYY-MM-DD (UTC). */
  week: string;
  operations: number;
  ok: number;
  failed: number;
  cancelled: number;
  durationMs: number;
}

export interface StoryLinkView {
  id: string;
  text: string;
  epic: string;
  status: StoryStatus;
  key: string;
  line: number;
  operations: OperationView[];
  timeMs: number;
}

export interface ActivitySummary {
  /** The log file's key, when it exists. */
  key?: string;
  entries: number;
  /** 1-based lines that look like entries but could not be read (hand edits): shown, not dropped silently. */
  unreadLines: number[];
  durationMs: number;
}

export interface DashboardState {
  generatedAt: string;
  history: HistoryView;
  phases: PhaseSummary[];
  metrics: MetricSectionView[];
  checklists: ChecklistView[];
  weeks: WeekView[];
  stories: StoryLinkView[];
  activity: ActivitySummary;
  /** "Bottom Line" and similar statements from the user's files, as written. */
  statements: Array<{ key: string; label: string; text: string; line: number }>;
  /** Problems reading the files (the rest is still shown). */
  problems: string[];
}

const isHistoryPoint = isShape<HistoryPointView>({ commit: isString, date: isString, subject: isString, overall: isCount, epics: isRecordOf(isCount) });
const isHistory = isShape<HistoryView>({
  available: isBoolean, reason: isOptional(isString), epics: isArrayOf(isShape<{ key: string; title: string }>({ key: isString, title: isString })),
  points: isArrayOf(isHistoryPoint),
});
const isDuration = isShape<DurationView>({
  text: isString, minHours: isOptional(isNumber), maxHours: isOptional(isNumber), approximate: isOptional(isBoolean), label: isString,
  kind: isOneOf(['estimate', 'actual', 'duration'] as const), key: isKey, line: isNumber,
});
const isOperation = isShape<OperationView>({
  when: isString, what: isString, result: isString, durationMs: isOptional(isNumber), cluster: isOptional(isString), target: isOptional(isString), line: isNumber,
});
const isPhase = isShape<PhaseSummary>({
  number: isString, name: isString, status: isString, estimates: isArrayOf(isDuration), actuals: isArrayOf(isDuration),
  from: isOptional(isString), to: isOptional(isString), stories: isArrayOf(isString), operations: isNumber, operationMs: isNumber,
});
const isItem = isShape<MetricItemView>({ line: isNumber, text: isString, kind: isOneOf(['check', 'bullet', 'text'] as const), checked: isOptional(isBoolean) });
const isGroup = isShape<MetricGroupView>({ title: isString, line: isNumber, checked: isNumber, checkable: isNumber, items: isArrayOf(isItem) });
const isMetric = isShape<MetricSectionView>({
  key: isKey, label: isString, title: isString, line: isNumber, checked: isNumber, checkable: isNumber, percent: isNumber, groups: isArrayOf(isGroup),
});
const isChecklist = isShape<ChecklistView>({ key: isKey, label: isString, title: isString, line: isNumber, checked: isNumber, total: isNumber, percent: isNumber });
const isWeek = isShape<WeekView>({ week: isString, operations: isNumber, ok: isNumber, failed: isNumber, cancelled: isNumber, durationMs: isNumber });
const isStory = isShape<StoryLinkView>({
  id: isString, text: isString, epic: isString, status: isStatus, key: isKey, line: isNumber, operations: isArrayOf(isOperation), timeMs: isNumber,
});
const isActivity = isShape<ActivitySummary>({ key: isOptional(isKey), entries: isNumber, unreadLines: isArrayOf(isNumber), durationMs: isNumber });
export const isDashboardState: Check<DashboardState> = isShape<DashboardState>({
  generatedAt: isString, history: isHistory, phases: isArrayOf(isPhase), metrics: isArrayOf(isMetric), checklists: isArrayOf(isChecklist),
  weeks: isArrayOf(isWeek), stories: isArrayOf(isStory), activity: isActivity,
  statements: isArrayOf(isShape<{ key: string; label: string; text: string; line: number }>({ key: isKey, label: isString, text: isString, line: isNumber })),
  problems: isArrayOf(isString),
});

// Webview -> host.
export interface OpenParams { key: string; line: number }
/** Export a phase (by number) or a date range (YYYY-MM-DD, inclusive) as an evidence report. */
export interface ExportParams { phase?: string; from?: string; to?: string }
const isDate = (v: unknown): v is string => typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v);

/** Link an activity entry (picked in a quick pick on the host) to a story. */
export interface LinkParams { storyId: string }

export interface DashboardToHost {
  ready: Empty;
  refresh: Empty;
  open: OpenParams;
  export: ExportParams;
  link: LinkParams;
}
export const dashboardToHost: MessageChecks<DashboardToHost> = {
  ready: isEmpty,
  refresh: isEmpty,
  open: isShape<OpenParams>({ key: isKey, line: isLine }),
  export: isShape<ExportParams>({ phase: isOptional(isShortString(32)), from: isOptional(isDate), to: isOptional(isDate) }),
  link: isShape<LinkParams>({ storyId: (v: unknown): v is string => typeof v === 'string' && v.length <= 32 && /^\d+(?:\.\d+)+$/.test(v) }),
};

// Host -> webview.
export interface DashboardToWebview {
  state: DashboardState;
  notice: Notice;
}
export const dashboardToWebview: MessageChecks<DashboardToWebview> = { state: isDashboardState, notice: isNotice };

export function isValidDashboardToHost(v: unknown) {
  return validateMessage(dashboardToHost, v);
}
export function isValidDashboardToWebview(v: unknown) {
  return validateMessage(dashboardToWebview, v);
}

/** What the webview keeps across reloads (vscode.setState) and the serializer hands back. */
export interface DashboardViewState { scrollY: number }
export const isDashboardViewState: Check<DashboardViewState> = isShape<DashboardViewState>({ scrollY: isNumber });
