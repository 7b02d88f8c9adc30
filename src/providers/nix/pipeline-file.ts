// Where the template pipeline keeps its state file, relative to the workspace folder: a module of its
// own so the extension's activation can name the file without loading the pipeline (src/lazy.ts).
export const PIPELINE_STATE_FILE = 'homelab/pipeline/nixos-template.json';
