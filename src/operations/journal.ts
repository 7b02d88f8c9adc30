// Journal and tracker entries: read the journal (entries, the activity log), write a new entry,
// append to the activity log; read the learning tracker and set a story's status. Files change
// through the markdown providers' edits (never a rewrite from memory): the user's bytes are kept.
import { entryFileName, newEntry, parseTracker, setStoryStatus, STORY_STATUSES, type StoryStatus } from '../providers/markdown';
import { l10n } from './l10n';
import { OperationRefused, type JournalAccess, type Operation, type OperationHost } from './types';

const ACTIVITY = 'activity.md';

function journalOf(host: OperationHost): JournalAccess {
  if (!host.journal) throw new OperationRefused(l10n.t('No journal folder is available (open a workspace with a journal).'));
  return host.journal;
}

export const read: Operation<{ file?: string; maxLines?: number }> = {
  id: 'journal_read',
  title: 'Read the journal',
  description: 'Without `file`: lists the journal\'s markdown files (entries, README, activity.md). With `file`: returns that file\'s text (its last `maxLines` lines for activity.md, the whole entry otherwise).',
  area: 'journal',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { file: { type: 'string', maxLength: 200, pattern: '^[^/\\\\]+\\.md$', description: 'A file name from the list, e.g. activity.md.' }, maxLines: { type: 'integer', minimum: 1, maximum: 2000, default: 200 } }, additionalProperties: false },
  async prepare(input, host) {
    const j = journalOf(host);
    return {
      async run() {
        if (!input.file) {
          const files = await j.list();
          return { text: files.join('\n') || l10n.t('The journal is empty.'), data: files };
        }
        const text = await j.read(input.file);
        if (text === undefined) throw new OperationRefused(l10n.t('There is no {0} in the journal.', input.file));
        const lines = text.split(/\r?\n/);
        const max = input.maxLines ?? 200;
        return { text: input.file === ACTIVITY ? lines.slice(-max).join('\n') : lines.slice(0, max).join('\n') };
      },
    };
  },
};

export const newEntryOp: Operation<{ title: string; date?: string; phase?: string; summary?: string }> = {
  id: 'journal_new_entry',
  title: 'New journal entry',
  description: 'Creates a new retrospective entry (YYYY-MM-DD-title.md from the journal\'s template) in the journal folder, optionally with a summary line. Never overwrites an existing file.',
  area: 'journal',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { title: { type: 'string', minLength: 1, maxLength: 120 }, date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' }, phase: { type: 'string', maxLength: 40 }, summary: { type: 'string', maxLength: 2000 } }, required: ['title'], additionalProperties: false },
  async prepare(input, host) {
    const j = journalOf(host);
    let name: string;
    let text: string;
    try {
      const date = input.date ?? new Date();
      name = entryFileName({ date, title: input.title });
      text = newEntry({ date, title: input.title, phase: input.phase });
    } catch (e) {
      throw new OperationRefused(e instanceof Error ? e.message : String(e));
    }
    if (input.summary) text = text.replace('### **Summary**\n- \n', `### **Summary**\n- ${input.summary.replace(/[\r\n]+/g, ' ')}\n`);
    if ((await j.read(name)) !== undefined) throw new OperationRefused(l10n.t('{0} already exists in the journal.', name));
    return {
      confirmation: l10n.t('Create journal entry {0}?', name),
      target: name,
      async run() {
        await j.create(name, text);
        return { text: l10n.t('Created {0}.', name), data: { file: name } };
      },
    };
  },
};

export const appendActivityOp: Operation<{ what: string; target?: string; result?: string }> = {
  id: 'journal_append_activity',
  title: 'Append to the activity log',
  description: 'Appends one line to the journal\'s activity log (activity.md): what was done, on what, and the result. Tool calls are logged there already; use this for work done outside the tools.',
  area: 'journal',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { what: { type: 'string', minLength: 1, maxLength: 200 }, target: { type: 'string', maxLength: 200 }, result: { type: 'string', maxLength: 200, default: 'ok' } }, required: ['what'], additionalProperties: false },
  async prepare(input, host) {
    return {
      confirmation: l10n.t('Add "{0}" to the activity log?', input.what),
      async run() {
        await host.activity({ what: input.what, target: input.target, durationMs: 0, result: input.result ?? 'ok' });
        return { text: l10n.t('Logged: {0}', input.what) };
      },
    };
  },
};

// ---- tracker ----

async function trackerFile(j: JournalAccess, file?: string): Promise<{ name: string; text: string }> {
  const files = await (j.trackers?.() ?? Promise.resolve([]));
  const name = file ?? files[0];
  if (!name) throw new OperationRefused(l10n.t('No learning tracker file was found.'));
  if (!files.includes(name)) throw new OperationRefused(l10n.t('{0} is not a tracker file (trackers: {1}).', name, files.join(', ') || l10n.t('none')));
  const text = await j.read(name);
  if (text === undefined) throw new OperationRefused(l10n.t('{0} cannot be read.', name));
  return { name, text };
}

const trackerField = { type: 'string' as const, maxLength: 300, description: 'Tracker file (default: the first one found).' };

export const trackerRead: Operation<{ file?: string }> = {
  id: 'tracker_read',
  title: 'Read the learning tracker',
  description: 'Lists the learning tracker\'s sections and stories: story id, status (todo, in-progress, done) and text, with progress per section.',
  area: 'tracker',
  effect: 'readOnly',
  inputSchema: { type: 'object', properties: { file: trackerField }, additionalProperties: false },
  async prepare(input, host) {
    const j = journalOf(host);
    return {
      async run() {
        const { name, text } = await trackerFile(j, input.file);
        const model = parseTracker(Buffer.from(text, 'utf8'), name);
        const out = [`${name}: ${model.progress.storiesDone}/${model.progress.storiesTotal} stories done (${model.progress.percent}%)`];
        for (const s of model.sections) {
          out.push(`## ${s.title} (${s.progress.storiesDone}/${s.progress.storiesTotal})`);
          for (const t of s.tables) for (const st of t.stories) out.push(`  ${st.id} [${st.status}] ${st.text.slice(0, 120)}`);
        }
        return { text: out.join('\n') };
      },
    };
  },
};

export const storyStatus: Operation<{ file?: string; story: string; status: StoryStatus }> = {
  id: 'tracker_set_story_status',
  title: 'Set a story\'s status',
  description: 'Sets the status of one story in the learning tracker (by its id, e.g. "0.1.3") to todo, in-progress or done, in the file\'s own style.',
  area: 'tracker',
  effect: 'sideEffect',
  inputSchema: { type: 'object', properties: { file: trackerField, story: { type: 'string', minLength: 1, maxLength: 40 }, status: { type: 'string', enum: [...STORY_STATUSES] } }, required: ['story', 'status'], additionalProperties: false },
  async prepare(input, host) {
    const j = journalOf(host);
    const { name, text } = await trackerFile(j, input.file);
    const model = parseTracker(Buffer.from(text, 'utf8'), name);
    const stories = model.sections.flatMap((s) => s.tables.flatMap((t) => t.stories));
    const story = stories.find((s) => s.id === input.story);
    if (!story) throw new OperationRefused(l10n.t('There is no story "{0}" in {1}.', input.story, name));
    return {
      confirmation: l10n.t('Set story {0} "{1}" from {2} to {3}?', story.id, story.text.slice(0, 60), story.status, input.status),
      target: `${name} ${story.id}`,
      async run() {
        const next = setStoryStatus(Buffer.from(text, 'utf8'), story.locator, input.status).toString('utf8');
        await j.replace(name, text, next);
        return { text: l10n.t('Story {0}: {1} → {2}.', story.id, story.status, input.status) };
      },
    };
  },
};

