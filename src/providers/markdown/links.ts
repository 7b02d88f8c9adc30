// Linking an activity entry to a tracker story from the dashboard: the entry's line gets
// ` · story 0.1.3` appended, nothing else in the file changes. The line is found by number and
// checked by hash, so an outside edit makes the link refuse (StaleEditError), never land elsewhere.
import type { Edit } from './edit';
import { StaleEditError } from './errors';
import { joinLines, lineHash, splitLines, toBuffer } from './lines';

const STORY_ID = /^\d+(?:\.\d+)+$/;

export function linkStoryEdit(file: string, line: number, hash: string, storyId: string): Edit {
  if (!STORY_ID.test(storyId)) throw new RangeError(`"${storyId}" is not a story ID like 0.1.3`);
  return (bytes: Buffer): Uint8Array => {
    const lines = splitLines(bytes);
    const target = lines[line - 1];
    if (!target || lineHash(target.content) !== hash) throw new StaleEditError(file, line, 'the activity entry is not on this line any more');
    const text = target.content.toString('utf8');
    // Already names the story: nothing to write.
    if (new RegExp(`\\bstor(?:y|ies)\\s+#?${storyId.replace(/\./g, '\\.')}(?![\\d.])`, 'i').test(text)) return bytes;
    const out = lines.map((l) => ({ content: l.content, eol: l.eol }));
    out[line - 1] = { content: Buffer.concat([toBuffer(target.content), Buffer.from(` · story ${storyId}`)]), eol: target.eol };
    return joinLines(out);
  };
}
