import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { bucketId } from '../../src/colourBuckets';
import {
  codePointOffset,
  offsetToPosition,
  positionToOffset,
  promptBucketRanges,
  responseLines,
  responseView,
  segmentBucket,
  selectionToSpan,
  SWATCH,
  topSegments,
} from '../../src/salienceRanges';
import { loadFixture, PROMPT_TEXT } from './fixture';

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
      const id = bucketId(segmentBucket(result, segment), result.signed);
      for (const range of segment.ranges) {
        const painted = textAt(PROMPT_TEXT, range);
        assert.ok(segment.text.includes(painted.trim()), `"${painted}" is part of "${segment.text}"`);
        if (id !== undefined) {
          assert.ok(ranges.get(id)?.includes(range));
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

  it('agrees with the buckets the server sent', () => {
    for (const segment of result.segments) {
      assert.equal(segmentBucket(result, segment), segment.bucket, segment.text);
    }
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

  it('colours the response context before the span and a swatch per legend step', () => {
    const segments = [...view.segments.values()].flat().map((range) => textAt(view.text, range));
    assert.ok(segments.includes("it has cheese in it, which you don't like."));
    const swatches = [...view.swatches.entries()];
    assert.equal(swatches.length, 4);
    for (const [, ranges] of swatches) {
      assert.equal(textAt(view.text, ranges[0]), SWATCH);
    }
  });

  it('turns a selection into a response span, trimmed, and ignores the footer', () => {
    const start = result.response.indexOf('Recommendation');
    const lineEnd = result.response.indexOf('\n', start);
    assert.deepEqual(selectionToSpan(view, lineEnd + 1, start - 1), { start, end: lineEnd });
    assert.equal(selectionToSpan(view, view.responseLength + 5, view.responseLength + 20), undefined);
    assert.equal(selectionToSpan(view, lineEnd, lineEnd + 1), undefined);
  });

  it('lists the non-blank response lines', () => {
    const lines = responseLines(result.response).map((s) => result.response.slice(s.start, s.end));
    assert.deepEqual(lines, ["it has cheese in it, which you don't like.", 'Recommendation: You have to try it.', "Taste-likes: I've a sweet"]);
  });
});
