// The markdown journal/tracker reader and writer (no vscode import). Panels code against these.
export * from './errors';
export { splitLines, joinLines, lineHash, sha256, dominantEol } from './lines';
export type { RawLine, Eol } from './lines';
export * from './tracker';
export * from './journal';
export {
  setStoryStatus, toggleChecklist, storyStatusEdit, checklistEdit, DEFAULT_STATUS_TEXT,
} from './edit';
export type { Edit, StatusRecording } from './edit';
export * from './template';
export * from './activity';
export * from './store';
export * from './durations';
export * from './metrics';
export * from './history';
export * from './dashboard';
export * from './links';
export { TrackerParser, INLINE_PARSE_BYTES } from './parser';
