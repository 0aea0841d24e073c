import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  parseCaseParams,
  parseExplanationResult,
  parseOptionalResult,
  parseResultChanged,
  ProtocolError,
} from '../../src/protocol';
import { rawFixture } from './fixture';

describe('parseExplanationResult', () => {
  it("reads the real server's answer", () => {
    const result = parseExplanationResult(rawFixture());
    assert.equal(result.case, 'quiche-lorraine');
    assert.equal(result.method, 'grad_l2');
    assert.equal(result.signed, false);
    assert.equal(result.response.slice(result.span.start, result.span.end), result.spanText);
    assert.equal(result.scale.legend.length, 5);
    assert.equal(result.scale.legend[0].colour, null);
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
    const result = parseExplanationResult(raw);
    assert.deepEqual(result.notes, {});
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
