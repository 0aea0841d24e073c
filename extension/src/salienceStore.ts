/**
 * The salience shown on each prompt document: the server's result and the ranges painted from
 * it. The client keeps no rule about edits: an edit hides a document's salience until the
 * server answers for the new version (it moves the result or drops it). Does not import `vscode`.
 */

import type { ExplanationResult } from './protocol';
import { type BucketRanges, promptBucketRanges } from './salienceRanges';

export interface ShownSalience {
  result: ExplanationResult;
  /** Ranges per colour in the document version `result.version`. */
  ranges: BucketRanges;
  /** Hidden since the document was edited, until the server's result for the new version. */
  hidden: boolean;
}

export class SalienceStore {
  private readonly shown = new Map<string, ShownSalience>();

  /** Show `result` on its document (replacing what was shown there). */
  set(result: ExplanationResult): ShownSalience {
    const entry = { result, ranges: promptBucketRanges(result), hidden: false };
    this.shown.set(result.uri, entry);
    return entry;
  }

  get(uri: string): ShownSalience | undefined {
    return this.shown.get(uri);
  }

  uris(): string[] {
    return [...this.shown.keys()];
  }

  /** Forget what `uri` shows (all of it, or only when it shows `caseName`); true if it did. */
  clear(uri: string, caseName?: string): boolean {
    const entry = this.shown.get(uri);
    if (entry === undefined || (caseName !== undefined && entry.result.case !== caseName)) {
      return false;
    }
    return this.shown.delete(uri);
  }

  clearAll(): string[] {
    const uris = this.uris();
    this.shown.clear();
    return uris;
  }

  /** Hide what `uri` shows (its document was edited); true if it was painted until now. */
  hide(uri: string): boolean {
    const entry = this.shown.get(uri);
    if (entry === undefined || entry.hidden) {
      return false;
    }
    entry.hidden = true;
    return true;
  }

  /** The ranges to paint on `uri` now (undefined: nothing, or hidden after an edit). */
  paintable(uri: string): BucketRanges | undefined {
    const entry = this.shown.get(uri);
    return entry === undefined || entry.hidden ? undefined : entry.ranges;
  }
}
