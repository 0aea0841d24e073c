import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { responseLenses } from '../../src/lensSpans';
import { parseExplanationResult } from '../../src/protocol';
import { rawFixture } from './fixture';

/** The fixture with a response whose first line holds two sentences, and the lens spans the
 * server sends for it (`result_view.lens_pieces`: lines, then the sentences of that line). */
function twoSentenceResult(explained: { start: number; end: number }): Record<string, unknown> {
  return {
    ...rawFixture(),
    response: 'Try the soup. It is hot!\n  Then tea',
    responseTokens: [],
    segments: [],
    span: explained,
    spanText: 'Try the soup.',
    lensSpans: [
      { start: 0, end: 24, kind: 'line' },
      { start: 27, end: 35, kind: 'line' },
      { start: 0, end: 13, kind: 'sentence' },
      { start: 14, end: 24, kind: 'sentence' },
    ],
  };
}

describe('the lens spans the server sends', () => {
  it("reads the real server's answer: a lens per non-blank line", () => {
    const result = parseExplanationResult(rawFixture());
    const texts = result.lensSpans.map((s) => [s.kind, result.response.slice(s.start, s.end)]);
    assert.deepEqual(texts, [
      ['line', "it has cheese in it, which you don't like."],
      ['line', 'Recommendation: You have to try it.'],
      ['line', "Taste-likes: I've a sweet"],
    ]);
  });

  it('names what is wrong with them', () => {
    const raw = rawFixture();
    delete raw.lensSpans;
    assert.throws(() => parseExplanationResult(raw), /result\.lensSpans should be a list/);
    const bad = (span: unknown): Record<string, unknown> => ({ ...rawFixture(), lensSpans: [span] });
    assert.throws(() => parseExplanationResult(bad({ start: 1, end: 4, kind: 'word' })), /result\.lensSpans\[0\]\.kind should be "line" or "sentence"/);
    assert.throws(() => parseExplanationResult(bad({ start: 1, end: 999, kind: 'line' })), /result\.lensSpans\[0\] should be 0 <= start <= end <= 106/);
    assert.throws(() => parseExplanationResult(bad({ start: 1, kind: 'line' })), /result\.lensSpans\[0\]\.end should be a number/);
  });
});

describe("the response view's lenses", () => {
  it("are drawn from the server's list, in its order, the explained one marked", () => {
    const result = parseExplanationResult(rawFixture());
    const lenses = responseLenses(result);
    assert.deepEqual(
      lenses.map((l) => [l.span, l.title, l.explained]),
      [
        [{ start: 1, end: 43 }, 'Explain "it has cheese in it, which you don\'t li\u2026"', false],
        [{ start: 44, end: 79 }, '\u25cf Explained "Recommendation: You have to try it."', true],
        [{ start: 81, end: 106 }, 'Explain "Taste-likes: I\'ve a sweet"', false],
      ],
    );
  });

  it('offer the sentences of a line that holds several, after the lines', () => {
    const result = parseExplanationResult(twoSentenceResult({ start: 0, end: 13 }));
    assert.deepEqual(
      responseLenses(result).map((l) => l.title),
      ['Explain "Try the soup. It is hot!"', 'Explain "Then tea"', '\u25cf Explained sentence "Try the soup."', 'Explain sentence "It is hot!"'],
    );
  });

  it('draw nothing the server did not send', () => {
    const result = parseExplanationResult({ ...twoSentenceResult({ start: 0, end: 13 }), lensSpans: [] });
    assert.deepEqual(responseLenses(result), []);
  });
});
