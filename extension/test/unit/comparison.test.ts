import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { COMPARE_COMMAND, parseComparisonReport } from '../../src/comparisonProtocol';
import { baselineName, changedSegmentRanges, comparisonTitle, ComparisonStore, differenceBucketRanges } from '../../src/comparisonStore';
import { bucketPaintKey, legendLines } from '../../src/legend';
import { parseCaseParams, ProtocolError, type Range } from '../../src/protocol';
import { positionToOffset } from '../../src/salienceRanges';
import { comparisonFixture, PROMPT_TEXT } from './fixture';

const fixture = comparisonFixture();
/** The prompt as it was compared: the first example's Recommendation line fixed. */
const FIXED_TEXT = PROMPT_TEXT.replace('Recommendation: You have to try it.', 'Recommendation: Avoid.');

function raw(mutate: (report: Record<string, unknown>) => void = () => undefined): Record<string, unknown> {
  const copy = structuredClone(fixture.report);
  mutate(copy);
  return copy;
}

function segmentsOf(report: Record<string, unknown>): Record<string, unknown>[] {
  return report.segments as Record<string, unknown>[];
}

function textAt(range: Range): string {
  return FIXED_TEXT.slice(positionToOffset(FIXED_TEXT, range.start), positionToOffset(FIXED_TEXT, range.end));
}

describe('parseComparisonReport', () => {
  it("reads the real server's answer", () => {
    const report = parseComparisonReport(raw());
    assert.equal(report.case, 'quiche-lorraine');
    assert.equal(report.version, 2);
    assert.equal(report.pinned, true);
    assert.match(report.beforeResponse, /You have to try it/);
    assert.match(report.afterResponse, /Avoid/);
    assert.ok(report.beforeAnswerNow - report.beforeAnswerBefore < -2, 'the pinned answer is less likely now');
    assert.ok(report.afterAnswerNow - report.afterAnswerBefore > 2, 'the current answer is more likely now');
    assert.equal(report.summary.length, 2);
    assert.match(report.summary[0], /less likely/);
    assert.match(report.summary[1], /more likely/);
    const changed = report.segments.filter((s) => s.status === 'changed');
    assert.deepEqual(changed.map((s) => [s.beforeText, s.afterText, s.shareChange, s.bucket]), [['Recommendation: You have to try it.', 'Recommendation: Avoid.', null, 0]]);
    assert.equal(report.scale.signed, true);
    assert.match(report.scale.caption, /before your edits/);
    assert.equal(report.scale.legend.find((e) => e.bucket === 3)?.themeColour, 'promptSalience.positive3');
  });

  it('names the field that is wrong', () => {
    assert.throws(() => parseComparisonReport(raw((r) => delete r.afterResponse)), /comparison\.afterResponse should be a string/);
    assert.throws(() => parseComparisonReport(raw((r) => (r.summary = ['ok', 3]))), /comparison\.summary\[1\] should be a string/);
    assert.throws(() => parseComparisonReport(raw((r) => (segmentsOf(r)[6].status = 'moved'))), /comparison\.segments\[6\]\.status should be one of same, changed, added, removed/);
    assert.throws(() => parseComparisonReport(raw((r) => (segmentsOf(r)[2].bucket = 1.5))), /comparison\.segments\[2\]\.bucket should be a whole number/);
    assert.throws(() => parseComparisonReport(raw((r) => (segmentsOf(r)[6].afterText = null))), /segments\[6\]\.afterText should be a string for a changed segment/);
    assert.throws(() => parseComparisonReport(raw((r) => delete (r.scale as Record<string, unknown>).legend)), /comparison\.scale\.legend should be a list/);
    assert.throws(() => parseComparisonReport(raw((r) => delete r.against)), /comparison\.against should be a string/);
    assert.throws(() => parseComparisonReport(null), ProtocolError);
  });

  it('takes added and removed segments, each without its missing side', () => {
    const report = parseComparisonReport(
      raw((r) => {
        Object.assign(segmentsOf(r)[0], { status: 'added', beforeText: null, beforeScore: null, shareChange: null, bucket: 0 });
        Object.assign(segmentsOf(r)[1], { status: 'removed', afterText: null, afterScore: null, shareChange: null, bucket: 0, ranges: [] });
      }),
    );
    assert.equal(report.segments[0].beforeText, null);
    assert.equal(report.segments[1].afterText, null);
  });

  it("is what the server's lens asks for", () => {
    const [lens] = fixture.compareLenses;
    assert.equal(lens.title, 'Compare with the pinned answer');
    assert.equal(lens.command, COMPARE_COMMAND);
    assert.deepEqual(parseCaseParams(lens.arguments[0]), { uri: fixture.report.uri, case: 'quiche-lorraine' });
  });
});

describe('the difference map on the prompt', () => {
  const report = parseComparisonReport(raw());

  it("paints each segment's ranges with its bucket's colour from the report's legend", () => {
    const ranges = differenceBucketRanges(report);
    const painted = report.segments.filter((s) => bucketPaintKey(report, s.bucket) !== undefined);
    assert.ok(painted.length > 0);
    for (const segment of report.segments) {
      const key = bucketPaintKey(report, segment.bucket);
      for (const range of segment.ranges) {
        const under = [...ranges].filter(([, list]) => list.some((r) => JSON.stringify(r) === JSON.stringify(range))).map(([k]) => k);
        assert.deepEqual(under, key === undefined ? [] : [key], `${segment.afterText ?? ''} (bucket ${segment.bucket})`);
      }
    }
    const keys = [...ranges.keys()];
    assert.ok(keys.some((k) => k.startsWith('promptSalience.positive')) && keys.some((k) => k.startsWith('promptSalience.negative')), keys.join(' '));
    const biggest = report.segments.find((s) => s.bucket === report.scale.steps);
    assert.ok(biggest);
    assert.equal(textAt(biggest.ranges[0]), biggest.afterText);
  });

  it('outlines the text the edit changed, where it stands now', () => {
    const changed = changedSegmentRanges(report);
    assert.deepEqual(changed.map(textAt), ['Recommendation: Avoid.']);
    assert.equal(changed[0].start.line, FIXED_TEXT.slice(0, FIXED_TEXT.indexOf('Recommendation: Avoid.')).split('\n').length - 1);
  });

  it("lists the difference map's legend as the server gave it", () => {
    assert.deepEqual(legendLines(report, '#ffffff').map((l) => l.label), report.scale.legend.map((e) => e.label));
  });

  it('titles the diff with the case and its baseline', () => {
    assert.equal(comparisonTitle(report), 'quiche-lorraine: pinned answer \u2194 now');
    assert.equal(baselineName({ ...report, pinned: false, against: 'the last answer' }), 'last answer');
  });

  it("titles a comparison with another file's case in the server's words", () => {
    const other = { ...report, pinned: false, against: 'the answer of case `quiche-lorraine` of menu-fewshot-fixed.prompt' };
    assert.equal(comparisonTitle(other), 'quiche-lorraine: answer of case `quiche-lorraine` of menu-fewshot-fixed.prompt \u2194 now');
  });
});

describe('ComparisonStore', () => {
  const report = parseComparisonReport(raw());

  it('shows the difference first, and toggles to the salience and back', () => {
    const store = new ComparisonStore();
    assert.equal(store.toggle(report.uri), undefined, 'nothing to toggle');
    store.set(report);
    assert.equal(store.get(report.uri)?.showing, 'difference');
    assert.ok(store.paintable(report.uri));
    assert.equal(store.toggle(report.uri), 'salience');
    assert.equal(store.paintable(report.uri), undefined, 'the salience is painted instead');
    assert.ok(store.get(report.uri), 'the comparison is still there to toggle back to');
    assert.equal(store.toggle(report.uri), 'difference');
  });

  it('ends a comparison (only the case named, when one is)', () => {
    const store = new ComparisonStore();
    store.set(report);
    assert.equal(store.end(report.uri, 'crepe-suzette'), false);
    assert.equal(store.end(report.uri, 'quiche-lorraine'), true);
    assert.equal(store.get(report.uri), undefined);
    assert.equal(store.end(report.uri), false);
    store.set(report);
    assert.deepEqual(store.endAll(), [report.uri]);
    assert.equal(store.paintable(report.uri), undefined);
  });
});
