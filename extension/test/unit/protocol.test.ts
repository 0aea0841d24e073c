import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  parseCaseParams,
  parseChoices,
  parseExplanationResult,
  parseOptionalResult,
  parseResultChanged,
  parseTestReport,
  ProtocolError,
} from '../../src/protocol';
import { caseTestsFixture, rawFixture } from './fixture';

describe('parseExplanationResult', () => {
  it("reads the real server's answer", () => {
    const result = parseExplanationResult(rawFixture());
    assert.equal(result.case, 'quiche-lorraine');
    assert.equal(result.method, 'grad_l2');
    assert.equal(result.signed, false);
    assert.equal(result.response.slice(result.span.start, result.span.end), result.spanText);
    assert.equal(result.scale.legend.length, 5);
    assert.equal(result.scale.legend[0].colour, null);
    assert.equal(result.scale.legend[0].themeColour, null);
    assert.equal(result.scale.legend[3].themeColour, 'promptSalience.unsigned3');
    assert.ok(result.segments.some((s) => s.ranges.length > 1));
    assert.ok(result.segments.some((s) => s.responseSpan !== null));
    assert.ok(result.segments.some((s) => s.rank === null));
  });

  it('names the field that is wrong', () => {
    const bad = (mutate: (raw: Record<string, unknown>) => void): Record<string, unknown> => {
      const raw = rawFixture();
      mutate(raw);
      return raw;
    };
    assert.throws(() => parseExplanationResult(bad((r) => delete r.response)), /result\.response should be a string/);
    assert.throws(() => parseExplanationResult(bad((r) => (r.version = 'one'))), /result\.version should be a number/);
    assert.throws(
      () => parseExplanationResult(bad((r) => ((r.segments as Record<string, unknown>[])[3].ranges = [{ start: { line: 1 } }]))),
      /result\.segments\[3\]\.ranges\[0\]\.start\.character/,
    );
    assert.throws(() => parseExplanationResult(bad((r) => (r.span = { start: 5, end: 9999 }))), /inside the response/);
    assert.throws(() => parseExplanationResult(bad((r) => (r.span = { start: 5, end: 2 }))), /0 <= start <= end/);
    assert.throws(() => parseExplanationResult([]), ProtocolError);
  });

  it('accepts optional fields left out, and null results', () => {
    const raw = rawFixture();
    delete raw.notes;
    delete raw.responseTokens;
    for (const segment of raw.segments as Record<string, unknown>[]) {
      delete segment.rank;
      delete segment.responseSpan;
    }
    for (const entry of (raw.scale as { legend: Record<string, unknown>[] }).legend) {
      delete entry.themeColour;
    }
    const result = parseExplanationResult(raw);
    assert.deepEqual(result.notes, {});
    assert.ok(result.scale.legend.every((e) => e.themeColour === null));
    assert.equal(result.segments[0].rank, null);
    assert.equal(parseOptionalResult(null), null);
  });
});

describe('notifications and command arguments', () => {
  it('reads resultChanged', () => {
    const params = parseResultChanged({ uri: 'file:///a.prompt', version: 3, case: 'c', available: false, reason: 'dropped' });
    assert.equal(params.available, false);
    assert.throws(() => parseResultChanged({ uri: 'file:///a.prompt', version: 3, case: 'c', reason: 'dropped' }), /available/);
  });

  it("reads a CodeLens's argument, keeping its other fields", () => {
    const params = parseCaseParams({ uri: 'file:///a.prompt', case: 'quiche', line: 1 });
    assert.deepEqual(params, { uri: 'file:///a.prompt', case: 'quiche', line: 1 });
    assert.throws(() => parseCaseParams({ case: 'x' }), /uri/);
  });
});

describe('the choices request', () => {
  const answer = {
    methods: [
      { name: 'grad_l2', label: 'Gradient L2 norm', description: 'how sensitive the span is to each part', signed: false, cost: 'one backward pass' },
      { name: 'segment_ablation', label: 'Segment ablation', description: 'hide each segment', signed: true, cost: 'one forward pass per segment' },
    ],
    granularities: [{ name: 'words', label: 'Words', description: "LIT's default" }],
  };

  it('reads the methods and granularities in the order the server gave', () => {
    const choices = parseChoices(answer);
    assert.deepEqual(choices.methods.map((m) => m.name), ['grad_l2', 'segment_ablation']);
    assert.equal(choices.methods[1].signed, true);
    assert.equal(choices.methods[1].cost, 'one forward pass per segment');
    assert.deepEqual(choices.granularities, answer.granularities);
  });

  it('names the field that is wrong', () => {
    assert.throws(() => parseChoices({ ...answer, methods: [{ ...answer.methods[0], signed: 'no' }] }), /choices\.methods\[0\]\.signed should be true or false/);
    assert.throws(() => parseChoices({ methods: answer.methods }), /choices\.granularities should be a list/);
    assert.throws(() => parseChoices(null), ProtocolError);
  });
});

describe('parseTestReport', () => {
  const { failedReport, passedReport } = caseTestsFixture();

  it("reads the real server's answers, a failure and a pass", () => {
    const failed = parseTestReport(failedReport);
    assert.equal(failed.version, 1);
    assert.deepEqual(failed.cases.map((c) => [c.case, c.passed, c.offendingText]), [['quiche-lorraine', false, 'You have to try it']]);
    assert.ok(failed.cases[0].response.includes('You have to try it'));
    const passed = parseTestReport(passedReport);
    assert.equal(passed.cases[0].passed, true);
    assert.equal(passed.cases[0].offendingText, null);
    const withoutOffending = { ...(passedReport.cases as Record<string, unknown>[])[0] };
    delete withoutOffending.offendingText;
    assert.equal(parseTestReport({ ...passedReport, cases: [withoutOffending] }).cases[0].offendingText, null, 'absent is null');
  });

  it('names the field that is wrong', () => {
    const cases = failedReport.cases as Record<string, unknown>[];
    assert.throws(() => parseTestReport({ ...failedReport, cases: [{ ...cases[0], passed: 'no' }] }), /testReport\.cases\[0\]\.passed should be true or false/);
    assert.throws(() => parseTestReport({ ...failedReport, cases: null }), /testReport\.cases should be a list/);
    assert.throws(() => parseTestReport({ ...failedReport, version: 1.5 }), /testReport\.version should be a whole number/);
    assert.throws(() => parseTestReport(null), ProtocolError);
  });
});
