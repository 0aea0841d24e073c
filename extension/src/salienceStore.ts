/**
 * The salience shown on each prompt document: the server's result and the ranges painted from
 * it, kept true to the text as the user edits (see rangeTracking.ts). Does not import `vscode`.
 */

import type { ExplanationResult } from './protocol';
import { moveRanges, type TextChange } from './rangeTracking';
import { type BucketRanges, promptBucketRanges } from './salienceRanges';

export interface ShownSalience {
  result: ExplanationResult;
  /** Ranges per colour bucket in the document's current text. */
  ranges: BucketRanges;
  /** Whether an edit has already removed some of the ranges. */
  edited: boolean;
}

export class SalienceStore {
  private readonly shown = new Map<string, ShownSalience>();

  /** Show `result` on its document (replacing what was shown there). */
  set(result: ExplanationResult): ShownSalience {
    const entry = { result, ranges: promptBucketRanges(result), edited: false };
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

  /** Move the ranges of `uri` through `changes`, dropping those the changes touch. Returns
   * whether anything is shown there (and so needs repainting). */
  applyChanges(uri: string, changes: readonly TextChange[]): boolean {
    const entry = this.shown.get(uri);
    if (entry === undefined || changes.length === 0) {
      return false;
    }
    const moved: BucketRanges = new Map();
    for (const [id, ranges] of entry.ranges) {
      const kept = moveRanges(ranges, changes);
      if (kept.length !== ranges.length) {
        entry.edited = true;
      }
      if (kept.length > 0) {
        moved.set(id, kept);
      }
    }
    entry.ranges = moved;
    return true;
  }
}
