/**
 * `promptSalience.compare`: the server's comparison of a case's current result with its
 * baseline (the pinned result, else the last one an edit removed), mirrored from
 * `ComparisonReport` in `pyserver/prompt_salience/lsp/protocol.py` (docs/protocol.md), with its
 * checked parsing. The server decides every fact here: the summary in words, how the segments
 * align, each segment's bucket in the difference map and that map's legend. Does not import
 * `vscode`.
 */

import { array, boolean, integer, number, object, optional, ProtocolError, string } from './checkedJson';
import { type ColourScaleInfo, parseRange, parseScale, type Range } from './protocol';

/** CompareParams -> ComparisonReport (model work: cancellable, with progress). */
export const COMPARE_COMMAND = 'promptSalience.compare';
/** CaseParams -> HtmlReport | null: the case's last comparison as a self-contained page. */
export const COMPARISON_REPORT_REQUEST = 'promptSalience/comparisonReport';

/** A case against its baseline, or (`otherUri`, `otherCase`) against another open document's
 * (or case's) current result. */
export interface CompareParams {
  uri: string;
  case?: string | null;
  otherUri?: string;
  otherCase?: string;
}

export const SEGMENT_STATUSES = ['same', 'changed', 'added', 'removed'] as const;
export type SegmentStatus = (typeof SEGMENT_STATUSES)[number];

/** A prompt segment before (the baseline's prompt) and after (the current one), aligned. */
export interface ComparedSegment {
  status: SegmentStatus;
  /** null for an `added` segment. */
  beforeText: string | null;
  /** null for a `removed` segment. */
  afterText: string | null;
  beforeScore: number | null;
  afterScore: number | null;
  /** The change of the segment's share of |salience| (after minus before); `same` only. */
  shareChange: number | null;
  /** Its bucket in the difference map (`scale`): 0 unless `same` and changed enough. */
  bucket: number;
  /** Where the current segment stands in the document (none for a `removed` one). */
  ranges: Range[];
}

export interface ComparisonReport {
  uri: string;
  /** The document version the ranges belong to. */
  version: number;
  case: string;
  /** The baseline is the pinned result (else the last one an edit removed). */
  pinned: boolean;
  /** What "before" is, in the server's words: "the pinned answer", "the last answer", or "the
   * answer of case `x` of other.prompt". */
  against: string;
  beforeResponse: string;
  afterResponse: string;
  /** log p (nats) of each answer's explained span, under the baseline's prompt and now. */
  beforeAnswerBefore: number;
  beforeAnswerNow: number;
  afterAnswerBefore: number;
  afterAnswerNow: number;
  /** The two changes in words (the baseline's answer, then the current one). */
  summary: string[];
  segments: ComparedSegment[];
  /** The difference map: orange = more of the influence than before, blue = less. */
  scale: ColourScaleInfo;
}

function parseStatus(o: Record<string, unknown>, where: string): SegmentStatus {
  const status = string(o, 'status', where);
  const known = SEGMENT_STATUSES.find((s) => s === status);
  if (known === undefined) {
    throw new ProtocolError(`${where}.status`, `one of ${SEGMENT_STATUSES.join(', ')}`, status);
  }
  return known;
}

function parseComparedSegment(value: unknown, where: string): ComparedSegment {
  const o = object(value, where);
  const segment: ComparedSegment = {
    status: parseStatus(o, where),
    beforeText: optional(o, 'beforeText', (x, k) => string(x, k, where)),
    afterText: optional(o, 'afterText', (x, k) => string(x, k, where)),
    beforeScore: optional(o, 'beforeScore', (x, k) => number(x, k, where)),
    afterScore: optional(o, 'afterScore', (x, k) => number(x, k, where)),
    shareChange: optional(o, 'shareChange', (x, k) => number(x, k, where)),
    bucket: integer(o, 'bucket', where),
    ranges: o.ranges === undefined ? [] : array(o, 'ranges', where, parseRange),
  };
  if (segment.status !== 'added' && segment.beforeText === null) {
    throw new ProtocolError(`${where}.beforeText`, `a string for a ${segment.status} segment`, null);
  }
  if (segment.status !== 'removed' && segment.afterText === null) {
    throw new ProtocolError(`${where}.afterText`, `a string for a ${segment.status} segment`, null);
  }
  return segment;
}

/** A ComparisonReport from the wire, checked; throws ProtocolError naming the bad field. */
export function parseComparisonReport(value: unknown): ComparisonReport {
  const where = 'comparison';
  const o = object(value, where);
  return {
    uri: string(o, 'uri', where),
    version: integer(o, 'version', where),
    case: string(o, 'case', where),
    pinned: boolean(o, 'pinned', where),
    against: string(o, 'against', where),
    beforeResponse: string(o, 'beforeResponse', where),
    afterResponse: string(o, 'afterResponse', where),
    beforeAnswerBefore: number(o, 'beforeAnswerBefore', where),
    beforeAnswerNow: number(o, 'beforeAnswerNow', where),
    afterAnswerBefore: number(o, 'afterAnswerBefore', where),
    afterAnswerNow: number(o, 'afterAnswerNow', where),
    summary: array(o, 'summary', where, (item, at) => {
      if (typeof item !== 'string') {
        throw new ProtocolError(at, 'a string', item);
      }
      return item;
    }),
    segments: array(o, 'segments', where, parseComparedSegment),
    scale: parseScale(o.scale, `${where}.scale`),
  };
}
