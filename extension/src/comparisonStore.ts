/**
 * The comparisons shown on prompt documents: the server's ComparisonReport, its difference map
 * as ranges per colour, the segments whose text changed, and whether the document shows the
 * difference or (toggled) the plain current salience. An edit or a new result ends a
 * comparison: its ranges belong to the version it was computed on. Does not import `vscode`.
 */

import type { ComparisonReport } from './comparisonProtocol';
import type { Range } from './protocol';
import { type BucketRanges, documentBucketRanges, isEmpty } from './salienceRanges';

export type ComparisonShowing = 'difference' | 'salience';

export interface ShownComparison {
  report: ComparisonReport;
  /** The difference map per colour, in the document version `report.version`. */
  ranges: BucketRanges;
  /** Where the segments whose text is new (`changed`, `added`) stand: outlined. */
  changed: Range[];
  showing: ComparisonShowing;
}

/** The segments' ranges per colour of the server's difference map (its buckets, its legend). */
export function differenceBucketRanges(report: ComparisonReport): BucketRanges {
  return documentBucketRanges(report, report.segments);
}

/** Where the segments an edit changed or added stand in the document (removed ones have no place). */
export function changedSegmentRanges(report: ComparisonReport): Range[] {
  return report.segments
    .filter((s) => s.status === 'changed' || s.status === 'added')
    .flatMap((s) => s.ranges)
    .filter((range) => !isEmpty(range));
}

/** What "before" is, in the server's words without their article: `pinned answer`, `last
 * answer`, or `answer of case \`x\` of other.prompt`. */
export function baselineName(report: ComparisonReport): string {
  return report.against.replace(/^the /, '');
}

/** The diff editor's title: `quiche-lorraine: pinned answer ↔ now`. */
export function comparisonTitle(report: ComparisonReport): string {
  return `${report.case}: ${baselineName(report)} \u2194 now`;
}

export class ComparisonStore {
  private readonly shown = new Map<string, ShownComparison>();

  /** Show `report` on its document as the difference map (replacing any comparison there). */
  set(report: ComparisonReport): ShownComparison {
    const entry: ShownComparison = { report, ranges: differenceBucketRanges(report), changed: changedSegmentRanges(report), showing: 'difference' };
    this.shown.set(report.uri, entry);
    return entry;
  }

  get(uri: string): ShownComparison | undefined {
    return this.shown.get(uri);
  }

  /** End the comparison on `uri` (any, or only one of `caseName`); true if there was one. */
  end(uri: string, caseName?: string): boolean {
    const entry = this.shown.get(uri);
    if (entry === undefined || (caseName !== undefined && entry.report.case !== caseName)) {
      return false;
    }
    return this.shown.delete(uri);
  }

  /** End every comparison; the documents that had one. */
  endAll(): string[] {
    const uris = [...this.shown.keys()];
    this.shown.clear();
    return uris;
  }

  /** Switch `uri` between the difference map and the current salience; what it shows now
   * (undefined: no comparison there). */
  toggle(uri: string): ComparisonShowing | undefined {
    const entry = this.shown.get(uri);
    if (entry === undefined) {
      return undefined;
    }
    entry.showing = entry.showing === 'difference' ? 'salience' : 'difference';
    return entry.showing;
  }

  /** The difference map to paint on `uri` now (undefined: none, or the salience is shown). */
  paintable(uri: string): ShownComparison | undefined {
    const entry = this.shown.get(uri);
    return entry?.showing === 'difference' ? entry : undefined;
  }
}
