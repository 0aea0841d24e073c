import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { caseTestId, type DiagnosticLike, discoverCaseTests, expectationFailureOn, failureMessage, testOutput, verdictOf } from '../../src/caseTests';
import { parseTestReport, ProtocolError } from '../../src/protocol';
import { caseTestsFixture } from './fixture';

const URI = 'file:///workspace/prompts/menu-fewshot-mistake.prompt';
const fixture = caseTestsFixture();

function diagnostics(): DiagnosticLike[] {
  return fixture.diagnostics.map((d) => ({ line: d.range.start.line, code: d.code, message: d.message }));
}

describe('test items from the server CodeLens', () => {
  it("makes one item per case with a test lens, at the lens's range", () => {
    const { tests, busy } = discoverCaseTests(fixture.lensesBefore);
    assert.deepEqual(tests, [{ id: `${URI}#quiche-lorraine`, uri: URI, case: 'quiche-lorraine', range: { start: { line: 13, character: 0 }, end: { line: 13, character: 0 } } }]);
    assert.deepEqual(busy, []);
    assert.equal(tests[0].id, caseTestId(URI, 'quiche-lorraine'));
  });

  it('finds the same item among the lenses of a result (the verdict lens)', () => {
    const { tests } = discoverCaseTests(fixture.lensesAfter);
    assert.deepEqual(tests.map((t) => t.case), ['quiche-lorraine']);
    assert.ok(fixture.lensesAfter.some((l) => l.command?.title === '\u2717 Expectations failed \u00b7 test again'));
  });

  it('says which cases have a run in flight, whose test lens is hidden meanwhile', () => {
    const running = fixture.lensesBefore.map((lens) =>
      lens.command?.command === 'promptSalience.run' && lens.command.title.includes('quiche-lorraine')
        ? { ...lens, command: { ...lens.command, title: 'Running `quiche-lorraine`\u2026 (click to cancel)', command: 'promptSalience.cancel' } }
        : lens,
    );
    const withoutTest = running.filter((lens) => lens.command?.command !== 'promptSalience.test');
    assert.deepEqual(discoverCaseTests(withoutTest), { tests: [], busy: [`${URI}#quiche-lorraine`] });
    assert.deepEqual(discoverCaseTests(running).busy, [], 'a case with its test lens is not "busy"');
  });

  it("ignores other lenses, arguments that are not a case, and a case's second test lens", () => {
    const range = { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } };
    const lenses = [
      { range },
      { range, command: { command: 'promptSalience.test', arguments: ['not params'] } },
      { range, command: { command: 'promptSalience.test', arguments: [{ uri: URI }] } },
      { range, command: { command: 'promptSalience.test', arguments: [{ uri: URI, case: 'a', version: null, workDoneToken: null }] } },
      { range, command: { command: 'promptSalience.test', arguments: [{ uri: URI, case: 'a' }] } },
      { range, command: { command: 'otherExtension.test', arguments: [{ uri: URI, case: 'b' }] } },
    ];
    assert.deepEqual(discoverCaseTests(lenses).tests.map((t) => t.id), [`${URI}#a`]);
  });
});

describe("a tested case's result", () => {
  it('is the verdict on its case, read from the report', () => {
    const verdict = verdictOf(parseTestReport(fixture.failedReport), 'quiche-lorraine');
    assert.equal(verdict.passed, false);
    assert.equal(verdict.offendingText, 'You have to try it');
    assert.throws(() => verdictOf(parseTestReport(fixture.failedReport), 'crepe-suzette'), ProtocolError);
  });

  it("says the server's diagnostic for a failure: the reason and what drove the offending span", () => {
    const verdict = verdictOf(parseTestReport(fixture.failedReport), 'quiche-lorraine');
    const diagnostic = expectationFailureOn(diagnostics(), 13);
    assert.ok(diagnostic);
    const message = failureMessage(verdict, diagnostic);
    assert.match(message, /^Case `quiche-lorraine` fails its expectations: the response contains "You have to try it"\./);
    assert.match(message, /Most salient for \u201cYou have to try it\u201d: 1\. Recommendation: You have to try it\./);
    assert.equal(expectationFailureOn(diagnostics(), 16), undefined, 'only on the case line');
    assert.equal(expectationFailureOn(diagnostics().map((d) => ({ ...d, code: 'prompt-too-long' })), 13), undefined);
  });

  it("falls back on the report's reason and offending text without a diagnostic", () => {
    const verdict = verdictOf(parseTestReport(fixture.failedReport), 'quiche-lorraine');
    assert.equal(
      failureMessage(verdict, undefined),
      'Case `quiche-lorraine` fails its expectations: the response contains "You have to try it".\n' +
        'Offending text: \u201cYou have to try it\u201d (explained: its salience is painted on the prompt).',
    );
    assert.equal(failureMessage({ ...verdict, offendingText: null }, undefined), 'Case `quiche-lorraine` fails its expectations: the response contains "You have to try it".');
  });

  it('writes the outcome and the response to the output, in terminal lines', () => {
    const verdict = verdictOf(parseTestReport(fixture.passedReport), 'quiche-lorraine');
    const output = testOutput(verdict);
    assert.ok(output.startsWith('Case quiche-lorraine passed: the response contains "Recommendation: Avoid"\r\nResponse:\r\n'));
    assert.ok(output.includes('Recommendation: Avoid.\r\n'));
    assert.doesNotMatch(output.replace(/\r\n/g, ''), /\n/, 'every line ends with \\r\\n');
  });
});
