/**
 * From an ExplanationResult to what the editor paints: ranges per colour in the prompt document,
 * and the response view's text with its own ranges (response segments, the explained span,
 * legend swatches). Buckets, colours, legend and caption are the server's (see legend.ts).
 * Does not import `vscode`.
 */

import { bucketPaintKey, paintKey, type Scaled } from './legend';
import type { ExplanationResult, Position, Range, SegmentScore, TextSpan } from './protocol';

/** Ranges to paint, keyed by the paint key of their bucket (a theme colour id or `#rrggbbaa`). */
export type BucketRanges = Map<string, Range[]>;

function add(map: BucketRanges, id: string, range: Range): void {
  const list = map.get(id);
  if (list === undefined) {
    map.set(id, [range]);
  } else {
    list.push(range);
  }
}

export function isEmpty(range: Range): boolean {
  return range.start.line === range.end.line && range.start.character === range.end.character;
}

/** The prompt document's ranges per bucket: template text and front-matter values alike. */
export function promptBucketRanges(result: ExplanationResult): BucketRanges {
  return documentBucketRanges(result, result.segments);
}

/** The document ranges of `segments` per paint key of their bucket in the legend of `scaled`
 * (a result's segments, or a comparison's in its difference map); bucket 0 is not painted. */
export function documentBucketRanges(scaled: Scaled, segments: readonly { bucket: number; ranges: readonly Range[] }[]): BucketRanges {
  const map: BucketRanges = new Map();
  for (const segment of segments) {
    const key = bucketPaintKey(scaled, segment.bucket);
    if (key === undefined) {
      continue;
    }
    for (const range of segment.ranges) {
      if (!isEmpty(range)) {
        add(map, key, range);
      }
    }
  }
  return map;
}

/** The position of UTF-16 `offset` in `text` (lines split at \n, \r\n and \r, as VS Code). */
export function offsetToPosition(text: string, offset: number): Position {
  const clamped = Math.max(0, Math.min(offset, text.length));
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  // An offset between \r and \n belongs to the line the \r ends.
  return { line, character: clamped - lineStart };
}

/** The UTF-16 offset of `position` in `text` (the inverse of offsetToPosition). */
export function positionToOffset(text: string, position: Position): number {
  let line = 0;
  let i = 0;
  while (line < position.line && i < text.length) {
    const c = text.charCodeAt(i);
    i++;
    if (c === 10 || (c === 13 && text.charCodeAt(i) !== 10)) {
      line++;
    }
  }
  let lineEnd = i;
  while (lineEnd < text.length && text[lineEnd] !== '\n' && text[lineEnd] !== '\r') {
    lineEnd++;
  }
  return Math.min(i + position.character, lineEnd);
}

export function spanToRange(text: string, span: TextSpan): Range {
  return { start: offsetToPosition(text, span.start), end: offsetToPosition(text, span.end) };
}

/** Code points before UTF-16 `offset` (the CLI counts Python characters). */
export function codePointOffset(text: string, offset: number): number {
  // Python counts code points, which is what spreading a string yields.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread
  return [...text.slice(0, offset)].length;
}

/** The read-only response view: the response itself first (so view offsets are response
 * offsets), then a footer saying what is explained, the legend with coloured swatches, and the
 * server's notices (a warning's line is drawn in the warning style). */
export interface ResponseView {
  text: string;
  /** Length of the response part of `text`: selections beyond it are not in the response. */
  responseLength: number;
  /** Response segments (the context before the span) per bucket, in view positions. */
  segments: BucketRanges;
  /** The explained span, in view positions. */
  explained: Range;
  /** A swatch per coloured legend entry, per paint key. */
  swatches: BucketRanges;
  /** The lines of the server's notices that are warnings, in view positions. */
  warnings: Range[];
}

/** What starts a notice line that is a warning (the server says which are). */
export const WARNING_MARK = '\u26a0 ';

/** A legend swatch: blanks, so that the bucket's background colour shows whole. */
export const SWATCH = ' '.repeat(6);

export function shorten(text: string, width: number): string {
  const flat = text.split(/\s+/).filter(Boolean).join(' ');
  return flat.length <= width ? flat : `${flat.slice(0, width - 1)}\u2026`;
}

export function responseView(result: ExplanationResult): ResponseView {
  const response = result.response;
  const lines: string[] = [
    '',
    '',
    `\u2500\u2500 Explaining "${shorten(result.spanText, 70)}" (response [${result.span.start}:${result.span.end}])`,
    `Case ${result.case} \u00b7 model ${result.model} \u00b7 method ${result.method} \u00b7 granularity ${result.granularity}` +
      (result.responseIsGenerated ? '' : ' \u00b7 response given as target'),
    ...(result.rescore !== null ? [`Re-scored after your edit, not generated: ${result.rescore.summary}`] : []),
    result.scale.caption,
  ];
  const swatchLines: { line: number; key: string }[] = [];
  for (const entry of result.scale.legend) {
    const key = paintKey(entry);
    if (key !== undefined) {
      swatchLines.push({ line: lines.length, key });
    }
    lines.push(`   ${SWATCH}  ${entry.label}`);
  }
  const warningLines: number[] = [];
  for (const notice of result.notices) {
    if (notice.warning) {
      warningLines.push(lines.length);
    }
    lines.push(`${notice.warning ? WARNING_MARK : ''}${notice.text}`);
  }
  lines.push('Select any text of the response above, or click a line\u2019s CodeLens, to explain it instead.');
  const text = response + lines.join('\n') + '\n';
  const footerStart = offsetToPosition(text, response.length).line;

  const segments: BucketRanges = new Map();
  for (const segment of result.segments) {
    const key = bucketPaintKey(result, segment.bucket);
    if (key !== undefined && segment.responseSpan !== null && segment.responseSpan.end > segment.responseSpan.start) {
      add(segments, key, spanToRange(text, segment.responseSpan));
    }
  }
  const swatches: BucketRanges = new Map();
  for (const { line, key } of swatchLines) {
    add(swatches, key, { start: { line: footerStart + line, character: 3 }, end: { line: footerStart + line, character: 3 + SWATCH.length } });
  }
  const warnings = warningLines.map((line) => ({
    start: { line: footerStart + line, character: 0 },
    end: { line: footerStart + line, character: lines[line].length },
  }));
  return { text, responseLength: response.length, segments, explained: spanToRange(text, result.span), swatches, warnings };
}

/** The response span a selection in the view stands for, or undefined outside the response. */
export function selectionToSpan(view: ResponseView, start: number, end: number): TextSpan | undefined {
  const from = Math.max(0, Math.min(start, end));
  const to = Math.min(view.responseLength, Math.max(start, end));
  if (to <= from) {
    return undefined;
  }
  const text = view.text.slice(from, to);
  const lead = text.length - text.trimStart().length;
  const trail = text.length - text.trimEnd().length;
  if (lead + trail >= text.length) {
    return undefined; // only blanks
  }
  return { start: from + lead, end: to - trail };
}

/** The most salient prompt segments, best first (for summaries and the status tooltip). */
export function topSegments(result: ExplanationResult, count: number): SegmentScore[] {
  return result.segments
    .filter((s) => s.rank !== null)
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
    .slice(0, count);
}
