import type {Row} from '../schema.js';

/** What a suite hands back to the CLI, which adds the envelope (device, versions, commit, date). */
export interface SuiteResult {
  rows: Row[];
  notes: string[];
  config: Record<string, unknown>;
}
