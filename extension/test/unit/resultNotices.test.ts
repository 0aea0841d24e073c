import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseExplanationResult } from '../../src/protocol';
import { responseView, WARNING_MARK } from '../../src/salienceRanges';
import { rawFixture } from './fixture';

// The server's own sentences (report.layout.result_notices), as the language server sends them.
const WITHIN = 'Integrated gradients: the scores sum to within 3.9% of the change in log p from the baseline (bound 5%, 80 steps).';
const OVER =
  'Integrated gradients are incomplete: the scores sum to 205% away from the change in log p from the baseline, over the 5% bound after 2 steps (the cap). Read them with care, or raise the integrated-gradients steps (setting `promptSalience.igSteps`, CLI `--steps`).';

function withNotices(notices: unknown): Record<string, unknown> {
  const raw = rawFixture();
  raw.method = 'integrated_gradients';
  raw.notices = notices;
  return raw;
}

function lineOf(text: string, line: number): string {
  return text.split('\n')[line];
}

describe('result notices', () => {
  it('are read from the wire, none when the server sends none', () => {
    const result = parseExplanationResult(withNotices([{ text: WITHIN, warning: false }]));
    assert.deepEqual(result.notices, [{ text: WITHIN, warning: false }]);
    const raw = rawFixture();
    delete raw.notices;
    assert.deepEqual(parseExplanationResult(raw).notices, []);
    assert.throws(() => parseExplanationResult(withNotices([{ text: WITHIN }])), /result\.notices\[0\]\.warning should be true or false/);
  });

  it("draws the server's sentence in the response view, plainly when it is not a warning", () => {
    const view = responseView(parseExplanationResult(withNotices([{ text: WITHIN, warning: false }])));
    assert.ok(view.text.split('\n').includes(WITHIN));
    assert.deepEqual(view.warnings, []);
  });

  it('draws a warning with its mark, and gives its whole line to the warning style', () => {
    const view = responseView(parseExplanationResult(withNotices([{ text: OVER, warning: true }])));
    assert.equal(view.warnings.length, 1);
    const range = view.warnings[0];
    assert.equal(range.start.line, range.end.line);
    const line = lineOf(view.text, range.start.line);
    assert.equal(line, `${WARNING_MARK}${OVER}`);
    assert.equal(range.start.character, 0);
    assert.equal(range.end.character, line.length);
    // Still a footer line: selections there explain nothing.
    assert.ok(view.text.indexOf(OVER) > view.responseLength);
  });
});
