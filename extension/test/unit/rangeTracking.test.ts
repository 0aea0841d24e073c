import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { Range } from '../../src/protocol';
import { moveRange, moveRanges, type TextChange, touches } from '../../src/rangeTracking';
import { offsetToPosition, positionToOffset } from '../../src/salienceRanges';
import { SalienceStore } from '../../src/salienceStore';
import { loadFixture } from './fixture';

const r = (l1: number, c1: number, l2: number, c2: number): Range => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });
const change = (range: Range, text: string): TextChange => ({ range, text });

describe('touches', () => {
  const word = r(2, 4, 2, 10);
  it('an edit inside or overlapping a range touches it', () => {
    assert.ok(touches(word, change(r(2, 5, 2, 6), '')));
    assert.ok(touches(word, change(r(2, 6, 2, 6), 'x'))); // insertion inside
    assert.ok(touches(word, change(r(1, 0, 2, 5), '')));
    assert.ok(touches(word, change(r(2, 9, 3, 0), 'y')));
    assert.ok(touches(word, change(r(0, 0, 9, 0), '')));
  });
  it('an edit beside a range, or an insertion at its edge, does not', () => {
    assert.ok(!touches(word, change(r(2, 4, 2, 4), 'x')));
    assert.ok(!touches(word, change(r(2, 10, 2, 10), 'x')));
    assert.ok(!touches(word, change(r(2, 0, 2, 4), '')));
    assert.ok(!touches(word, change(r(2, 10, 2, 12), 'abc')));
    assert.ok(!touches(word, change(r(1, 0, 1, 3), 'abc\n')));
  });
});

describe('moveRange', () => {
  it('moves a range after an edit on the same line by the change in length', () => {
    assert.deepEqual(moveRange(r(2, 4, 2, 10), change(r(2, 0, 2, 2), 'abcd')), r(2, 6, 2, 12));
  });
  it('moves a range down by the lines an edit adds, and up by those it removes', () => {
    assert.deepEqual(moveRange(r(5, 1, 5, 3), change(r(1, 0, 1, 0), 'a\nb\n')), r(7, 1, 7, 3));
    assert.deepEqual(moveRange(r(5, 1, 6, 3), change(r(1, 2, 3, 0), '')), r(3, 1, 4, 3));
  });
  it('joins lines: a range on the line after a deleted line break moves onto the line before', () => {
    assert.deepEqual(moveRange(r(3, 2, 3, 5), change(r(2, 7, 3, 0), '')), r(2, 9, 2, 12));
  });
  it('leaves a range before the edit alone and drops a touched one', () => {
    assert.deepEqual(moveRange(r(0, 0, 0, 3), change(r(0, 5, 0, 5), 'zz')), r(0, 0, 0, 3));
    assert.equal(moveRange(r(0, 0, 0, 3), change(r(0, 1, 0, 2), 'zz')), undefined);
  });
  it('applies a sequence of changes in order', () => {
    const ranges = [r(0, 0, 0, 2), r(1, 0, 1, 2), r(2, 0, 2, 2)];
    const moved = moveRanges(ranges, [change(r(2, 0, 2, 0), 'x'), change(r(0, 0, 0, 1), 'QQ'), change(r(0, 0, 0, 0), '\n')]);
    assert.deepEqual(moved, [r(2, 0, 2, 2), r(3, 1, 3, 3)]);
  });
});

/** A small deterministic random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('never points at the wrong text', () => {
  it('after random edits, every kept range still holds the text it held', () => {
    const pieces = ['ab', 'c', '\n', ' ', 'é', '😀', 'xyz', '\r\n', '{{v}}'];
    for (let seed = 1; seed <= 300; seed++) {
      const rand = random(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)];
      let text = Array.from({ length: 30 }, () => pick(pieces)).join('');
      const ranges: Range[] = [];
      for (let i = 0; i < 6; i++) {
        const a = Math.floor(rand() * text.length);
        const b = Math.min(text.length, a + 1 + Math.floor(rand() * 6));
        ranges.push({ start: offsetToPosition(text, a), end: offsetToPosition(text, b) });
      }
      const held = ranges.map((range) => text.slice(positionToOffset(text, range.start), positionToOffset(text, range.end)));
      let current = ranges.map((range, i) => ({ range, i }));
      for (let step = 0; step < 4; step++) {
        const a = Math.floor(rand() * (text.length + 1));
        const b = Math.min(text.length, a + Math.floor(rand() * 4));
        const inserted = rand() < 0.3 ? '' : Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(pieces)).join('');
        // Keep \r\n pairs whole, as an editor does.
        if (text[a - 1] === '\r' && text[a] === '\n') {
          continue;
        }
        if (text[b - 1] === '\r' && text[b] === '\n') {
          continue;
        }
        const edit = change({ start: offsetToPosition(text, a), end: offsetToPosition(text, b) }, inserted);
        current = current.flatMap(({ range, i }) => {
          const moved = moveRange(range, edit);
          return moved ? [{ range: moved, i }] : [];
        });
        text = text.slice(0, a) + inserted + text.slice(b);
      }
      for (const { range, i } of current) {
        const now = text.slice(positionToOffset(text, range.start), positionToOffset(text, range.end));
        assert.equal(now, held[i], `seed ${seed}: range ${i} moved onto other text`);
      }
    }
  });
});

describe('SalienceStore', () => {
  it('paints a result and drops the ranges an edit touches, moving the others', () => {
    const result = loadFixture();
    const store = new SalienceStore();
    const shown = store.set(result);
    const before = [...shown.ranges.values()].flat();
    assert.ok(before.length > 10);
    const first = before.reduce((a, b) => (a.start.line < b.start.line ? a : b));
    // Type into the first painted range; insert a line at the top of the file.
    store.applyChanges(result.uri, [change({ start: first.start, end: first.start }, ''), change(r(first.start.line, first.start.character + 1, first.start.line, first.start.character + 1), 'X')]);
    const after = [...(store.get(result.uri)?.ranges.values() ?? [])].flat();
    assert.equal(after.length, before.length - 1);
    assert.ok(store.get(result.uri)?.edited);
    store.applyChanges(result.uri, [change(r(0, 0, 0, 0), 'new line\n')]);
    const shifted = [...(store.get(result.uri)?.ranges.values() ?? [])].flat();
    assert.deepEqual(shifted.map((x) => x.start.line).sort((a, b) => a - b), after.map((x) => x.start.line + 1).sort((a, b) => a - b));
    assert.ok(store.clear(result.uri, result.case));
    assert.equal(store.get(result.uri), undefined);
  });
});
