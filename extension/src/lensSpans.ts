/**
 * The response view's CodeLenses: the server's `lensSpans` (each non-blank line of the response,
 * then each sentence of a line that holds more than one), read from the wire and turned into
 * titles. The server chooses the spans, and prefetches exactly these so that a click is answered
 * at once; the view only draws them. Does not import `vscode`.
 */

import { array, integer, type Json, object, ProtocolError, string } from './checkedJson';
import type { ExplanationResult, TextSpan } from './protocol';
import { shorten } from './salienceRanges';

export type LensKind = 'line' | 'sentence';

/** A response span the view offers, in response offsets (position-encoding units). */
export interface LensSpan extends TextSpan {
  kind: LensKind;
}

/** One lens of the response view: where it stands and what it says. */
export interface ResponseLens {
  span: TextSpan;
  title: string;
  /** The lens stands for the span explained now (its click changes nothing). */
  explained: boolean;
}

const TITLE_WIDTH: Record<LensKind, number> = { line: 40, sentence: 30 };

function parseLensSpan(value: unknown, where: string, responseLength: number): LensSpan {
  const o = object(value, where);
  const kind = string(o, 'kind', where);
  if (kind !== 'line' && kind !== 'sentence') {
    throw new ProtocolError(`${where}.kind`, '"line" or "sentence"', kind);
  }
  const span: LensSpan = { start: integer(o, 'start', where), end: integer(o, 'end', where), kind };
  if (span.start < 0 || span.end < span.start || span.end > responseLength) {
    throw new ProtocolError(where, `0 <= start <= end <= ${responseLength} (the response)`, value);
  }
  return span;
}

/** The `lensSpans` field of a result on the wire, checked against the response's length. */
export function parseLensSpans(o: Json, where: string, responseLength: number): LensSpan[] {
  return array(o, 'lensSpans', where, (value, at) => parseLensSpan(value, at, responseLength));
}

/** The view's lenses, in the server's order: `Explain "…"` per line, `Explain sentence "…"` per
 * sentence, and `● Explained …` for the span explained now. */
export function responseLenses(result: ExplanationResult): ResponseLens[] {
  return result.lensSpans.map(({ start, end, kind }) => {
    const explained = start === result.span.start && end === result.span.end;
    const what = kind === 'sentence' ? ' sentence' : '';
    const text = shorten(result.response.slice(start, end), TITLE_WIDTH[kind]);
    return { span: { start, end }, title: `${explained ? '\u25cf Explained' : 'Explain'}${what} "${text}"`, explained };
  });
}
