// Journal panel (browser side): the README's phases as a timeline, entries with dates, a search
// over them, the rendered entry (sanitised by the host) and the activity log beside it.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-icon/index.js';
import {
  SearchRequest, ShowRequest, isJournalViewState, isValidJournalToHost, isValidJournalToWebview,
  type ActivityView, type EntryContent, type EntryView, type JournalState, type JournalToHost, type JournalToWebview,
  type JournalViewState, type PhaseView, type SearchResult,
} from '../src/protocol/journal';
import { RequestTimeoutError } from '../src/protocol/envelope';
import { focusKey, h, Host, icon, noticeBar, restoreFocus, trusted, withNode } from './host';
import { t } from './l10n';

const app = document.getElementById('app')!;
const view: JournalViewState = { query: '' };
let state: JournalState | undefined;
let lastState = '';
let hits: SearchResult | undefined;

const host = new Host<JournalToHost, JournalToWebview>(isValidJournalToWebview, (m) => {
  switch (m.type) {
    case 'state': {
      const json = JSON.stringify(m.payload);
      if (json === lastState) return;
      lastState = json;
      state = m.payload;
      if (view.selected && !state.entries.some((e) => e.key === view.selected) && state.readme?.key !== view.selected) view.selected = undefined;
      if (!view.selected && state.entries.length) view.selected = state.entries[0].key;
      const focused = focusKey();
      render();
      restoreFocus(app, focused);
      if (view.query) void runSearch(view.query);
      if (view.selected) void showEntry(view.selected);
      return;
    }
    case 'notice':
      noticeBar(notices, m.payload.level, m.payload.message);
      return;
    case 'select':
      void showEntry(m.payload.key);
      return;
  }
});
const saved = host.getState();
if (isJournalViewState(saved)) Object.assign(view, saved);

function send<K extends keyof JournalToHost & string>(type: K, payload: JournalToHost[K]): void {
  const v = isValidJournalToHost({ type, payload });
  if (!v.ok) return void console.error(`homelab: not sending an invalid message: ${v.reason}`);
  host.send(type, payload);
}

const notices = h('div', { class: 'notices', 'aria-live': 'polite' });
const listPane = h('nav', { class: 'pane entries-pane', 'aria-label': t('Journal entries') });
const entryPane = h('article', { class: 'pane entry-pane', 'aria-live': 'polite' });
const activityPane = h('aside', { class: 'pane activity-pane', 'aria-label': t('Activity log') });

function failure(err: unknown): string {
  if (err instanceof RequestTimeoutError) return t('Homelab did not answer within {0} s.', Math.round(err.timeoutMs / 1000));
  return err instanceof Error ? err.message : String(err);
}

function persist(): void {
  host.setState(view);
}

const STATUS_ICON: Record<PhaseView['status'], string> = { complete: 'pass-filled', 'in-progress': 'sync', planned: 'circle-large-outline', unknown: 'circle-large-outline' };

function button(label: string, iconName: string, onClick: () => void, opts: { secondary?: boolean; title?: string } = {}): HTMLElement {
  const b = h('vscode-button', { icon: iconName, secondary: opts.secondary, title: opts.title ?? label }, label);
  b.addEventListener('click', onClick);
  return b;
}

function timeline(phases: PhaseView[]): HTMLElement {
  const ol = h('ol', { class: 'timeline', 'aria-label': t('Phases') });
  for (const p of phases) {
    const retro = p.retrospective;
    const title = h('h3', {}, t('Phase {0}', p.number), p.name ? h('span', { class: 'phase-name' }, p.name) : null);
    const meta = h('div', { class: 'phase-meta' },
      h('span', { class: `phase-status status-${p.status}` }, icon(STATUS_ICON[p.status]), ' ', p.statusText || p.status),
      p.duration ? h('span', { class: 'muted' }, icon('clock'), ' ', p.duration) : null);
    const card = h('li', { class: `phase status-${p.status}` }, h('span', { class: 'phase-dot', 'aria-hidden': 'true' }), title, meta);
    if (p.focus) card.append(h('p', { class: 'phase-focus muted' }, p.focus));
    if (p.achievements.length) {
      card.append(h('p', { class: 'phase-label' }, t('Key achievements')), h('ul', { class: 'achievements' }, ...p.achievements.slice(0, 6).map((a) => h('li', {}, a))));
    }
    if (retro) {
      const a = h('a', { href: '#', class: 'retro-link' }, icon('book'), ' ', t('Read retrospective'));
      a.addEventListener('click', (e) => { e.preventDefault(); void showEntry(retro); });
      card.append(a);
    }
    ol.append(card);
  }
  return ol;
}

function dateLabel(e: { date?: string; dateSource?: EntryView['dateSource'] }): HTMLElement {
  if (!e.date) return h('span', { class: 'entry-date' }, t('undated'));
  // A date taken from the file's modification time is not the entry's own: say so.
  if (e.dateSource === 'mtime') return h('span', { class: 'entry-date', title: t('No date in the file name or text: this is when the file was last modified') }, t('modified {0}', e.date));
  return h('span', { class: 'entry-date' }, e.date);
}

function entryButton(e: { key: string; title: string; date?: string; dateSource?: EntryView['dateSource'] }, detail: Node | string): HTMLElement {
  const b = h('button', { class: `entry${view.selected === e.key ? ' selected' : ''}`, 'aria-current': view.selected === e.key ? 'true' : undefined, 'data-key': e.key },
    dateLabel(e),
    h('span', { class: 'entry-title' }, e.title),
    h('span', { class: 'entry-detail' }, detail));
  b.addEventListener('click', () => void showEntry(e.key));
  return b;
}

function highlighted(snippet: string, ranges: Array<[number, number]>): HTMLElement {
  const span = h('span', {});
  let at = 0;
  for (const [s, e] of ranges) {
    if (s < at) continue;
    span.append(snippet.slice(at, s), h('mark', {}, snippet.slice(s, e)));
    at = e;
  }
  span.append(snippet.slice(at));
  return span;
}

function renderList(): void {
  if (!state) return;
  const search = h('vscode-textfield', { type: 'search', placeholder: t('Search all entries'), 'aria-label': t('Search all entries'), value: view.query, class: 'search' }) as HTMLElement & { value: string };
  search.append(h('vscode-icon', { slot: 'content-before', name: 'search' }));
  let timer: number | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = window.setTimeout(() => void runSearch(search.value), 150);
  });
  const items = h('ul', { class: 'entry-list', role: 'list' });
  if (view.query.trim() && hits && hits.query === view.query) {
    if (!hits.hits.length) items.append(h('li', { class: 'muted' }, t('No entry mentions “{0}”.', view.query)));
    for (const hit of hits.hits) {
      const e = state.entries.find((x) => x.key === hit.key);
      items.append(h('li', {}, entryButton({ ...hit, dateSource: e?.dateSource }, highlighted(hit.snippet, hit.highlights))));
    }
  } else {
    for (const e of state.entries) items.append(h('li', {}, entryButton(e, e.excerpt)));
    if (!state.entries.length) items.append(h('li', { class: 'muted' }, t('No entry yet.')));
  }
  const heading = h('h2', {}, icon('notebook'), ' ', t('Entries'), ' ', h('vscode-badge', { variant: 'counter' }, String(state.entries.length)));
  listPane.replaceChildren(heading, search, items);
  if (document.activeElement === document.body && view.query) search.focus();
}

async function runSearch(query: string): Promise<void> {
  view.query = query;
  persist();
  if (!query.trim()) { hits = undefined; renderList(); return; }
  const v = isValidJournalToHost({ type: 'search', id: 1, payload: { query } });
  if (!v.ok) return;
  let r: SearchResult;
  try {
    r = await host.request(SearchRequest, { query });
  } catch (err) {
    return void noticeBar(notices, 'error', t('Search failed: {0}', failure(err)));
  }
  if (r.query !== view.query) return;
  hits = r;
  const focused = listPane.querySelector('vscode-textfield') === document.activeElement;
  renderList();
  if (focused) (listPane.querySelector('vscode-textfield') as HTMLElement | null)?.focus();
}

async function showEntry(key: string): Promise<void> {
  view.selected = key;
  persist();
  for (const b of listPane.querySelectorAll<HTMLElement>('button.entry')) {
    const on = b.dataset.key === key;
    b.classList.toggle('selected', on);
    if (on) b.setAttribute('aria-current', 'true'); else b.removeAttribute('aria-current');
  }
  let c: EntryContent;
  try {
    c = await host.request(ShowRequest, { key });
  } catch (err) {
    c = { key, title: key, html: '', error: t('The entry could not be shown: {0}', failure(err)) };
  }
  if (view.selected !== key) return;
  const edit = button(t('Edit'), 'edit', () => send('edit', { key }), { title: t('Open the markdown file in an editor') });
  const meta = state?.entries.find((e) => e.key === key);
  const head = h('header', { class: 'entry-head' }, h('div', {}, h('h2', {}, c.title), c.date ? h('span', { class: 'muted' }, icon('calendar'), ' ', dateLabel({ date: c.date, dateSource: meta?.dateSource })) : null), edit);
  const body = c.error ? h('div', { class: 'notice notice-error', role: 'alert' }, icon('error'), h('span', {}, c.error)) : trusted(h('div', { class: 'markdown' }), c.html);
  // The entry's own first heading repeats the title shown above it.
  const first = body.firstElementChild;
  if (first?.tagName === 'H1' && first.textContent?.trim() === c.title.trim()) first.remove();
  body.addEventListener('click', (ev) => {
    const a = (ev.target as HTMLElement).closest('a[data-href]');
    if (!a) return;
    ev.preventDefault();
    send('openLink', { key, href: a.getAttribute('data-href') ?? '' });
  });
  entryPane.replaceChildren(head, body);
}

function renderActivity(list: ActivityView[]): void {
  const items = h('ol', { class: 'activity-list' });
  for (const a of list.slice(0, 200)) {
    const ok = /^ok$/i.test(a.result);
    const failed = /fail|error/i.test(a.result);
    const note = h('button', { class: 'icon-button add-note', title: t('Add note to journal'), 'aria-label': t('Add “{0}” to a journal entry', a.what) }, icon('note'));
    note.addEventListener('click', () => send('addNote', { line: a.line }));
    items.append(h('li', { class: `activity ${ok ? 'ok' : failed ? 'failed' : 'other'}` },
      h('div', { class: 'activity-head' },
        icon(ok ? 'pass-filled' : failed ? 'error' : 'circle-slash', a.result),
        h('span', { class: 'activity-what' }, a.what), note),
      h('div', { class: 'activity-meta muted' },
        h('time', { datetime: a.when }, a.when.replace('T', ' ').replace('Z', ' UTC')),
        a.cluster ? h('span', {}, icon('server'), ' ', a.cluster) : null,
        a.target ? h('span', {}, icon('vm'), ' ', a.target) : null,
        a.durationMs !== undefined ? h('span', {}, icon('watch'), ' ', duration(a.durationMs)) : null,
        h('span', { class: 'result' }, a.result)),
    ));
  }
  const heading = h('h2', {}, icon('history'), ' ', t('Activity'), ' ', h('vscode-badge', { variant: 'counter' }, String(list.length)));
  activityPane.replaceChildren(heading, list.length ? items : h('p', { class: 'muted' }, t('Long operations (clone, migrate, template, ISO build, deploy) are logged here with their cluster, target, duration and result.')));
}

function duration(ms: number): string {
  if (ms < 1000) return t('{0} ms', ms);
  if (ms < 60_000) return t('{0} s', (ms / 1000).toFixed(1));
  const m = Math.floor(ms / 60_000);
  return m >= 60 ? t('{0} h {1} min', Math.floor(m / 60), m % 60) : t('{0} min {1} s', m, Math.round((ms % 60_000) / 1000));
}

function render(): void {
  if (!state) return;
  app.setAttribute('aria-busy', 'false');
  const title = state.readme?.title ?? t('Journal');
  const top = h('header', { class: 'top' }, h('div', { class: 'top-title' },
    h('h1', {}, icon('book'), ' ', title),
    h('div', { class: 'actions' },
      state.exists ? button(t('New Entry'), 'add', () => send('newEntry', {})) : null,
      state.readme ? button(t('Edit README'), 'edit', () => send('edit', { key: state!.readme!.key }), { secondary: true }) : null,
      button(t('Refresh'), 'refresh', () => send('refresh', {}), { secondary: true }))));
  if (state.error) {
    app.replaceChildren(top, notices, h('div', { class: 'empty' }, icon('folder'), h('p', {}, state.error)));
    return;
  }
  if (!state.exists) {
    const create = button(t('Create Folder'), 'new-folder', () => send('createFolder', {}));
    app.replaceChildren(top, notices, h('div', { class: 'empty' }, icon('folder'),
      h('p', {}, ...withNode(t('The journal folder {0} does not exist yet.', '\u0000'), h('code', {}, state.folder))),
      h('p', { class: 'muted' }, t('Create it to keep phases, retrospectives and the activity log of your lab (setting {0}).', 'homelab.journal.folder')), create));
    return;
  }
  const phases = state.readme?.phases ?? [];
  const parts: Node[] = [top, notices];
  if (phases.length) parts.push(h('section', { class: 'phases', 'aria-label': t('Phases') }, h('h2', {}, icon('milestone'), ' ', t('Phases')), timeline(phases)));
  renderList();
  renderActivity(state.activity);
  if (!view.selected) entryPane.replaceChildren(h('div', { class: 'empty' }, icon('notebook'), h('p', {}, t('Select an entry, or create one with New Entry.'))));
  parts.push(h('div', { class: 'columns' }, listPane, entryPane, activityPane));
  app.replaceChildren(...parts);
}

send('ready', {});
