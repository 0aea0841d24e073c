import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bucketPaintKey } from '../../src/legend';
import { type ExplanationResult, parseExplanationResult } from '../../src/protocol';
import {
  codePointOffset,
  offsetToPosition,
  positionToOffset,
  promptBucketRanges,
  responseView,
  selectionToSpan,
  SWATCH,
  topSegments,
} from '../../src/salienceRanges';
import { loadFixture, PROMPT_TEXT, rawFixture } from './fixture';

function textAt(text: string, range: { start: { line: number; character: number }; end: { line: number; character: number } }): string {
  return text.slice(positionToOffset(text, range.start), positionToOffset(text, range.end));
}

describe('positions', () => {
  it('converts offsets and positions both ways across \\n, \\r\\n and surrogate pairs', () => {
    const text = 'ab\r\nc😀d\ne\rf';
    for (let offset = 0; offset <= text.length; offset++) {
      if (text[offset - 1] === '\r' && text[offset] === '\n') {
        continue; // between \r and \n: not a position an editor gives
      }
      assert.equal(positionToOffset(text, offsetToPosition(text, offset)), offset, `offset ${offset}`);
    }
    assert.deepEqual(offsetToPosition(text, 4), { line: 1, character: 0 });
    assert.deepEqual(offsetToPosition(text, 8), { line: 1, character: 4 });
    assert.deepEqual(offsetToPosition(text, 11), { line: 3, character: 0 });
    assert.equal(positionToOffset(text, { line: 0, character: 99 }), 2); // clamped to the line
  });

  it('counts code points for the CLI', () => {
    assert.equal(codePointOffset('a😀b', 3), 2);
    assert.equal(codePointOffset('abc', 2), 2);
  });
});

describe('mapping a result to the prompt document', () => {
  const result = loadFixture();

  it('paints several buckets, each range on the text of its segment', () => {
    const ranges = promptBucketRanges(result);
    assert.ok(ranges.size >= 3, `buckets: ${[...ranges.keys()].join(', ')}`);
    for (const segment of result.segments) {
      const key = bucketPaintKey(result, segment.bucket);
      for (const range of segment.ranges) {
        const painted = textAt(PROMPT_TEXT, range);
        assert.ok(segment.text.includes(painted.trim()), `"${painted}" is part of "${segment.text}"`);
        if (key !== undefined) {
          assert.ok(ranges.get(key)?.includes(range));
        }
      }
    }
  });

  it('paints the variable values in the front-matter', () => {
    const frontMatterEnd = PROMPT_TEXT.split('\n').indexOf('---', 1);
    const painted = [...promptBucketRanges(result).values()].flat().filter((range) => range.start.line < frontMatterEnd);
    const texts = painted.map((range) => textAt(PROMPT_TEXT, range));
    assert.ok(texts.includes('Quiche Lorraine'), texts.join(' | '));
    assert.ok(texts.includes('Cheese'), texts.join(' | '));
  });

  it("paints each segment with its bucket's theme colour from the server's legend", () => {
    const ranges = promptBucketRanges(result);
    for (const segment of result.segments.filter((s) => s.ranges.length > 0)) {
      const entry = result.scale.legend.find((e) => e.bucket === segment.bucket);
      assert.ok(entry, `bucket ${segment.bucket} is in the legend`);
      const painted = [...ranges.entries()].filter(([, list]) => segment.ranges.some((r) => list.includes(r))).map(([key]) => key);
      assert.deepEqual(painted, entry.themeColour === null ? [] : [entry.themeColour], segment.text);
    }
  });

  it('paints with the literal colours when the legend has no theme colours', () => {
    const raw = rawFixture();
    const scale = raw.scale as { legend: Record<string, unknown>[] };
    for (const entry of scale.legend) {
      entry.themeColour = null;
      entry.colour = entry.colour === null ? null : '#ff000080';
    }
    // The server put every segment in bucket 2 but the first, in bucket 0: the client takes its word for it.
    const segments = raw.segments as Record<string, unknown>[];
    segments.forEach((segment, i) => (segment.bucket = i === 0 ? 0 : 2));
    const restyled: ExplanationResult = parseExplanationResult(raw);
    const ranges = promptBucketRanges(restyled);
    assert.deepEqual([...ranges.keys()], ['#ff000080']);
    const painted = ranges.get('#ff000080') ?? [];
    assert.ok(restyled.segments[0].ranges.length > 0);
    assert.ok(restyled.segments[0].ranges.every((r) => !painted.includes(r)), 'bucket 0 is not painted');
    assert.equal(painted.length, restyled.segments.slice(1).flatMap((s) => s.ranges).length);
  });

  it('ranks the most salient segments', () => {
    const top = topSegments(result, 3);
    assert.deepEqual(top.map((s) => s.rank), [1, 2, 3]);
  });
});

describe('the response view', () => {
  const result = loadFixture();
  const view = responseView(result);

  it('starts with the response, so view offsets are response offsets', () => {
    assert.ok(view.text.startsWith(result.response));
    assert.equal(view.responseLength, result.response.length);
    assert.equal(textAt(view.text, view.explained), result.spanText);
    assert.match(view.text, /Explaining "Recommendation: You have to try it\."/);
  });

  it('colours the response context before the span and a swatch per coloured legend entry', () => {
    const segments = [...view.segments.values()].flat().map((range) => textAt(view.text, range));
    assert.ok(segments.includes("it has cheese in it, which you don't like."));
    const swatches = [...view.swatches.entries()];
    const coloured = result.scale.legend.filter((e) => e.themeColour !== null);
    assert.deepEqual(swatches.map(([key]) => key), coloured.map((e) => e.themeColour));
    for (const [, ranges] of swatches) {
      assert.equal(textAt(view.text, ranges[0]), SWATCH);
    }
  });

  it("writes the server's caption and legend labels", () => {
    assert.ok(view.text.includes(result.scale.caption));
    for (const entry of result.scale.legend) {
      assert.ok(view.text.includes(`${SWATCH}  ${entry.label}\n`), entry.label);
    }
  });

  it("says when the result is a re-score, in the server's words", () => {
    assert.doesNotMatch(view.text, /Re-scored/);
    const summary = 'log p(pinned answer) -1.5 \u2192 -5.3 (43x less likely)';
    const rescored = parseExplanationResult({ ...rawFixture(), responseIsGenerated: false, rescore: { pinned: true, beforeLogprob: -1.5, logprob: -5.3, deltaLogprob: -3.8, summary } });
    assert.ok(responseView(rescored).text.includes(`Re-scored after your edit, not generated: ${summary}\n`));
  });

  it('turns a selection into a response span, trimmed, and ignores the footer', () => {
    const start = result.response.indexOf('Recommendation');
    const lineEnd = result.response.indexOf('\n', start);
    assert.deepEqual(selectionToSpan(view, lineEnd + 1, start - 1), { start, end: lineEnd });
    assert.equal(selectionToSpan(view, view.responseLength + 5, view.responseLength + 20), undefined);
    assert.equal(selectionToSpan(view, lineEnd, lineEnd + 1), undefined);
  });
});
