// Learning-tracker panel (browser side): files, epics with progress, story tables with a status
// select per story, and checklists. Every edit is a request; the host answers and sends the
// file's new state, so the page never guesses what the markdown holds.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import type { EditResult } from '../src/protocol/common';
import { RequestTimeoutError, type ParamsOf } from '../src/protocol/envelope';
import {
  SetStatusRequest, ToggleRequest, isTrackerViewState, isValidTrackerToHost, isValidTrackerToWebview, STORY_STATUS_VALUES,
  type ProgressView, type SectionView, type StoryStatus, type TableView, type TrackerFileView, type TrackerState,
  type TrackerToHost, type TrackerToWebview, type TrackerViewState,
} from '../src/protocol/tracker';
import { focusKey, h, Host, icon, noticeBar, progressBar, restoreFocus, trusted, withNode } from './host';
import { t } from './l10n';

const STATUS_LABEL: Record<StoryStatus, string> = { todo: t('Todo'), 'in-progress': t('In progress'), done: t('Done') };
const STATUS_ICON: Record<StoryStatus, string> = { todo: 'circle-large-outline', 'in-progress': 'sync', done: 'pass-filled' };

const app = document.getElementById('app')!;
const view: TrackerViewState = { collapsed: [], filter: 'all', scrollY: 0 };
let state: TrackerState | undefined;
let lastState = '';

const host = new Host<TrackerToHost, TrackerToWebview>(isValidTrackerToWebview, (m) => {
  if (m.type === 'state') {
    // An identical state (the file watcher after our own edit) must not rebuild the page under the user.
    const json = JSON.stringify(m.payload);
    if (json === lastState) return;
    lastState = json;
    state = m.payload;
    const focused = focusKey();
    render();
    restoreFocus(app, focused);
  } else if (m.type === 'notice') {
    noticeBar(notices, m.payload.level, m.payload.message);
  }
});
// The same validator the host runs, used here on what we send: a bug shows up in the page's console.
function send<K extends keyof TrackerToHost & string>(type: K, payload: TrackerToHost[K]): void {
  const v = isValidTrackerToHost({ type, payload });
  if (!v.ok) return void console.error(`homelab: not sending an invalid message: ${v.reason}`);
  host.send(type, payload);
}
async function request<R extends typeof SetStatusRequest | typeof ToggleRequest>(req: R, payload: ParamsOf<R>): Promise<EditResult> {
  const v = isValidTrackerToHost({ type: req.method, id: 1, payload });
  if (!v.ok) return { ok: false, message: t('invalid request: {0}', v.reason) };
  try {
    return await host.request(req, payload);
  } catch (err) {
    // No answer in time (or the page is going away): say so; the next state from the host shows the file as it is.
    return { ok: false, message: failure(err) };
  }
}

function failure(err: unknown): string {
  if (err instanceof RequestTimeoutError) return t('Homelab did not answer within {0} s; the file shows what was written.', Math.round(err.timeoutMs / 1000));
  return err instanceof Error ? err.message : String(err);
}

// View state survives reloads and restarts (the serializer restores the panel); checked like a message.
const saved = host.getState();
if (isTrackerViewState(saved)) Object.assign(view, saved);

const notices = h('div', { class: 'notices', 'aria-live': 'polite' });

function persist(): void {
  view.scrollY = Math.round(window.scrollY);
  host.setState(view);
}
window.addEventListener('scroll', () => {
  clearTimeout((persist as { t?: number }).t);
  (persist as { t?: number }).t = window.setTimeout(persist, 200);
});

function summary(p: ProgressView): string {
  const parts: string[] = [];
  if (p.storiesTotal) {
    parts.push(p.storiesInProgress
      ? t('{0}/{1} stories done, {2} in progress', p.storiesDone, p.storiesTotal, p.storiesInProgress)
      : t('{0}/{1} stories done', p.storiesDone, p.storiesTotal));
  }
  if (p.itemsTotal) parts.push(t('{0}/{1} items checked', p.itemsChecked, p.itemsTotal));
  return parts.join(' · ') || t('nothing to track');
}

function outcome(r: EditResult): void {
  if (!r.ok) noticeBar(notices, 'error', r.message ?? t('The edit was not applied.'));
  else if (r.message) noticeBar(notices, 'warning', r.message);
}

function statusSelect(file: TrackerFileView, table: TableView, index: number): HTMLElement {
  const story = table.stories[index];
  const select = h('vscode-single-select', {
    class: 'status-select',
    'data-line': String(story.line),
    'aria-label': story.id ? t('Status of {0}', story.id) : t('Status of story on line {0}', story.line),
    disabled: file.readonly,
  }) as HTMLElement & { value: string; disabled: boolean };
  for (const s of STORY_STATUS_VALUES) {
    select.append(h('vscode-option', { value: s, selected: s === story.status }, STATUS_LABEL[s]));
  }
  select.addEventListener('change', async () => {
    const status = select.value as StoryStatus;
    if (status === story.status || !STORY_STATUS_VALUES.includes(status)) return;
    select.disabled = true;
    const r = await request(SetStatusRequest, { key: file.key, line: story.line, hash: story.hash, status });
    outcome(r);
    // Still on the page when the state did not change (nothing written): make it usable again.
    if (select.isConnected) {
      select.disabled = file.readonly;
      if (!r.ok) select.value = story.status;
    }
  });
  return select;
}

function renderTable(file: TrackerFileView, table: TableView): HTMLElement {
  const cols = table.columns.map((c, i) => ({ ...c, i })).filter((c) => c.i !== table.statusColumn);
  const head = h('tr', {}, ...cols.map((c) => trusted(h('th', { scope: 'col', class: `col-${c.role ?? 'other'}` }), c.html)), h('th', { scope: 'col', class: 'col-status' }, t('Status')));
  const rows = table.stories.map((st, idx) => {
    if (view.filter === 'open' && st.status === 'done') return null;
    return h('tr', { class: `story status-${st.status}`, 'data-line': String(st.line) },
      ...cols.map((c) => {
        const cell = trusted(h(c.role === 'id' ? 'th' : 'td', { class: `col-${c.role ?? 'other'}`, scope: c.role === 'id' ? 'row' : undefined }), st.cells[c.i] ?? '');
        return cell;
      }),
      h('td', { class: 'col-status' }, h('span', { class: `status-icon status-${st.status}` }, icon(STATUS_ICON[st.status], STATUS_LABEL[st.status])), statusSelect(file, table, idx)),
    );
  });
  return h('div', { class: 'table-wrap' }, h('table', { class: 'stories' }, h('thead', {}, head), h('tbody', {}, ...rows)));
}

function renderChecklist(file: TrackerFileView, section: SectionView): HTMLElement {
  const list = h('ul', { class: 'checklist', role: 'list' });
  for (const item of section.checklist) {
    if (view.filter === 'open' && item.checked) continue;
    const box = trusted(h('vscode-checkbox', { checked: item.checked, disabled: file.readonly, 'data-line': String(item.line) }), item.html) as HTMLElement & { checked: boolean; disabled: boolean };
    box.addEventListener('change', async () => {
      box.disabled = true;
      const r = await request(ToggleRequest, { key: file.key, line: item.line, hash: item.hash, checked: box.checked });
      outcome(r);
      if (box.isConnected) {
        box.disabled = file.readonly;
        if (!r.ok) box.checked = item.checked;
      }
    });
    const li = h('li', { class: `depth-${Math.min(item.depth, 4)}${item.checked ? ' checked' : ''}` }, box);
    list.append(li);
  }
  return list;
}

function renderSection(file: TrackerFileView, s: SectionView): HTMLElement {
  const id = `${file.key}#${s.line}`;
  const col = h('vscode-collapsible', {
    class: `section kind-${s.kind}`,
    heading: s.title || file.title,
    description: s.kind === 'epic' && s.epicId ? t('Epic {0}', s.epicId) : s.kind === 'goals' ? t('Goals') : '',
    open: !view.collapsed.includes(id),
  });
  col.addEventListener('vsc-collapsible-toggle', (ev) => {
    const open = (ev as CustomEvent<{ open: boolean }>).detail.open;
    view.collapsed = view.collapsed.filter((c) => c !== id);
    if (!open) view.collapsed.push(id);
    persist();
  });
  const deco = h('span', { slot: 'decorations', class: 'section-progress' },
    progressBar(s.progress.percent, `${s.title}: ${s.progress.percent}%`), h('span', { class: 'percent' }, `${s.progress.percent}%`));
  col.append(deco);
  const body = h('div', { class: 'section-body' }, h('p', { class: 'section-summary' }, summary(s.progress), ' · ', openLink(file, s.line, t('line {0}', s.line))));
  for (const table of s.tables) body.append(renderTable(file, table));
  if (s.checklist.length) body.append(renderChecklist(file, s));
  col.append(body);
  return col;
}

function openLink(file: TrackerFileView, line: number, text: string): HTMLElement {
  const a = h('a', { href: '#', class: 'open-link', title: t('Open {0} at line {1}', file.label, line) }, text);
  a.addEventListener('click', (e) => {
    e.preventDefault();
    send('open', { key: file.key, line });
  });
  return a;
}

function renderFile(f: TrackerFileView): HTMLElement {
  const header = h('header', { class: 'file-header' },
    h('h2', {}, icon('markdown'), ' ', f.title),
    h('div', { class: 'file-meta' }, openLink(f, 1, f.label), f.readonly ? h('vscode-badge', { variant: 'default', title: t('The file is read-only: edits are disabled') }, t('read-only')) : null),
    h('div', { class: 'file-progress' }, progressBar(f.progress.percent, `${f.title}: ${f.progress.percent}%`), h('span', { class: 'percent' }, `${f.progress.percent}%`), h('span', { class: 'muted' }, summary(f.progress))),
  );
  const el = h('section', { class: 'file', 'data-key': f.key, 'aria-label': f.title }, header);
  if (f.error) el.append(h('div', { class: 'notice notice-error', role: 'alert' }, icon('error'), h('span', {}, f.error)));
  if (f.issues.length) {
    const list = h('ul', { class: 'issues' });
    for (const i of f.issues) {
      list.append(h('li', { class: `issue issue-${i.severity}` }, icon(i.severity === 'error' ? 'error' : 'warning'), ' ', openLink(f, i.line, t('Line {0}', i.line)), `: ${i.message}`,
        i.severity === 'error' ? h('span', { class: 'muted' }, ' ', t('(shown, never rewritten; fix it in the editor)')) : null));
    }
    el.append(list);
  }
  for (const s of f.sections) el.append(renderSection(f, s));
  if (!f.error && !f.sections.length) el.append(h('p', { class: 'muted' }, t('No epics, story tables or checklists in this file.')));
  return el;
}

function render(): void {
  if (!state) return;
  app.setAttribute('aria-busy', 'false');
  const refresh = h('vscode-button', { icon: 'refresh', secondary: true, title: t('Read the files again') }, t('Refresh'));
  refresh.addEventListener('click', () => send('refresh', {}));
  const filter = h('vscode-checkbox', { checked: view.filter === 'open', class: 'filter' }, t('Hide done')) as HTMLElement & { checked: boolean };
  filter.addEventListener('change', () => {
    view.filter = filter.checked ? 'open' : 'all';
    persist();
    render();
  });
  const top = h('header', { class: 'top' },
    h('div', { class: 'top-title' }, h('h1', {}, icon('checklist'), ' ', t('Learning Tracker')), h('div', { class: 'actions' }, filter, refresh)),
    h('div', { class: 'overall' }, progressBar(state.progress.percent, t('Overall {0}%', state.progress.percent)), h('span', { class: 'percent big' }, `${state.progress.percent}%`), h('span', { class: 'muted' }, summary(state.progress))),
  );
  const overview = h('nav', { class: 'overview', 'aria-label': t('Tracker files') });
  for (const f of state.files) {
    const jump = h('a', { href: '#', class: 'overview-title', title: f.label }, f.title);
    jump.addEventListener('click', (e) => {
      e.preventDefault();
      const target = app.querySelector<HTMLElement>(`section.file[data-key="${CSS.escape(f.key)}"]`);
      target?.scrollIntoView({ behavior: 'smooth', block: 'start' });
      target?.querySelector<HTMLElement>('.file-header a')?.focus({ preventScroll: true });
    });
    overview.append(h('div', { class: 'overview-row' }, jump, progressBar(f.progress.percent, `${f.title}: ${f.progress.percent}%`), h('span', { class: 'percent' }, `${f.progress.percent}%`),
      f.issues.some((i) => i.severity === 'error') || f.error ? h('span', { class: 'overview-issue', title: t('This file has parts Homelab cannot read') }, icon('warning')) : h('span', {})));
  }
  const files = state.files.length
    ? [overview, ...state.files.map(renderFile)]
    : [h('div', { class: 'empty' }, icon('search'), h('p', {}, ...withNode(t('No tracker file found. Homelab looks for: {0} (setting {1}).', '\u0000', 'homelab.tracker.globs'), h('code', {}, state.globs.join(', ')))))];
  app.replaceChildren(top, notices, ...files);
  if (view.scrollY) { window.scrollTo(0, view.scrollY); view.scrollY = 0; }
}

send('ready', {});
