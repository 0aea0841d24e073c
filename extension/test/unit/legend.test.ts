import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { blendOver, bucketPaintKey, isLiteralColour, legendLines, paintKey } from '../../src/legend';
import { loadFixture } from './fixture';

describe("the server's legend", () => {
  const result = loadFixture();

  it('paints a bucket with its theme colour, else its literal colour, and bucket 0 not at all', () => {
    assert.equal(paintKey({ bucket: 2, label: '', colour: '#7c3aed33', themeColour: 'promptSalience.unsigned2', low: 0, high: 1 }), 'promptSalience.unsigned2');
    assert.equal(paintKey({ bucket: 2, label: '', colour: '#7c3aed66', themeColour: null, low: 0, high: 1 }), '#7c3aed66');
    assert.equal(paintKey({ bucket: 0, label: '', colour: null, themeColour: null, low: 0, high: 1 }), undefined);
    assert.ok(isLiteralColour('#7c3aed66'));
    assert.ok(!isLiteralColour('promptSalience.unsigned2'));
  });

  it("looks a segment's bucket up in the result's legend", () => {
    for (const entry of result.scale.legend) {
      assert.equal(bucketPaintKey(result, entry.bucket), entry.themeColour ?? undefined);
    }
    assert.equal(bucketPaintKey(result, 17), undefined, 'a bucket the legend lacks is not painted');
  });

  it('blends a translucent colour over the background into the opaque colour a viewer sees', () => {
    assert.equal(blendOver('#ff000080', '#ffffff'), '#ff7f7f');
    assert.equal(blendOver('#7c3aedff', '#1e1e1e'), '#7c3aed');
    assert.equal(blendOver('#7c3aed00', '#1e1e1e'), '#1e1e1e');
    assert.equal(blendOver('promptSalience.unsigned1', '#ffffff'), undefined);
  });

  it('lists every legend entry in order, with a swatch for the coloured ones', () => {
    const lines = legendLines(result, '#ffffff');
    assert.deepEqual(lines.map((l) => l.label), result.scale.legend.map((e) => e.label));
    assert.equal(lines[0].swatch, undefined);
    const swatches = lines.slice(1).map((l) => l.swatch);
    assert.ok(swatches.every((s) => s !== undefined && /^#[0-9a-f]{6}$/.test(s)), swatches.join(' '));
    assert.equal(new Set(swatches).size, swatches.length, 'each bucket its own swatch');
  });
});
