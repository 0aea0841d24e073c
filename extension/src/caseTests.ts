/**
 * Cases as tests in VS Code's Test Explorer: the part that needs no `vscode`. Which of the
 * server's CodeLenses are test items, and what a tested case's result says. The server decides
 * both: a case is a test when it offers a `promptSalience.test` lens on the case's line (it
 * does so for the cases with `expect:` items), and why a case failed is its report's reason
 * and its `expectation-failed` diagnostic. Nothing here reads a prompt file.
 */

import { CANCEL_COMMAND, type CaseVerdict, EXPECTATION_FAILED, parseCaseParams, ProtocolError, type TestReport, TEST_COMMAND } from './protocol';

/** What is read of a CodeLens (a `vscode.CodeLens` has it); `R` is its range type. */
export interface LensLike<R> {
  range: R;
  command?: { command: string; arguments?: readonly unknown[] };
}

/** One case to test: its test item's id, and where its lens stands (the gutter's run button). */
export interface CaseTest<R> {
  id: string;
  uri: string;
  case: string;
  range: R;
}

export interface Discovery<R> {
  /** The cases whose test lens the server offers, in the order of the lenses (file order). */
  tests: CaseTest<R>[];
  /** Ids of the cases with a run in flight: the server then offers only "Running… (cancel)" on
   * their line, so whether they have `expect:` is unknown for now (keep what was known). */
  busy: string[];
}

/** A case's test item id (a file's item is its uri). */
export function caseTestId(uri: string, caseName: string): string {
  return `${uri}#${caseName}`;
}

/** The case a lens's one argument names, if it names one. */
function caseOf(lens: LensLike<unknown>): { uri: string; case: string } | undefined {
  try {
    const params = parseCaseParams(lens.command?.arguments?.[0]);
    return params.case == null ? undefined : { uri: params.uri, case: params.case };
  } catch (error) {
    if (error instanceof ProtocolError) {
      return undefined; // another provider's lens, or a lens without our argument
    }
    throw error;
  }
}

/** The test items of a document, from the CodeLenses its providers answer. */
export function discoverCaseTests<R>(lenses: readonly LensLike<R>[]): Discovery<R> {
  const tests: CaseTest<R>[] = [];
  const busy: string[] = [];
  for (const lens of lenses) {
    const command = lens.command?.command;
    const found = command === TEST_COMMAND || command === CANCEL_COMMAND ? caseOf(lens) : undefined;
    if (found === undefined) {
      continue;
    }
    const id = caseTestId(found.uri, found.case);
    if (command === CANCEL_COMMAND) {
      busy.push(id);
    } else if (!tests.some((test) => test.id === id)) {
      tests.push({ id, uri: found.uri, case: found.case, range: lens.range });
    }
  }
  return { tests, busy: busy.filter((id) => !tests.some((test) => test.id === id)) };
}

/** The verdict on `caseName` in a report; throws when the server's report has none. */
export function verdictOf(report: TestReport, caseName: string): CaseVerdict {
  const verdict = report.cases.find((c) => c.case === caseName);
  if (verdict === undefined) {
    const tested = report.cases.map((c) => c.case).join(', ') || 'none';
    throw new ProtocolError('testReport.cases', `a verdict on case ${caseName}`, `cases ${tested}`);
  }
  return verdict;
}

/** What is read of a diagnostic: its line, its code (a `vscode.Diagnostic`'s, unwrapped) and message. */
export interface DiagnosticLike {
  line: number;
  code: string | number | undefined;
  message: string;
}

/** The server's diagnostic of a failed test on the case's line, if it is there. */
export function expectationFailureOn(diagnostics: readonly DiagnosticLike[], line: number): DiagnosticLike | undefined {
  return diagnostics.find((d) => d.code === EXPECTATION_FAILED && d.line === line);
}

/** A failed case's message: the server's diagnostic for it (the reason, and the segments that
 * drove the offending span most), else the report's reason and offending text. */
export function failureMessage(verdict: CaseVerdict, diagnostic: DiagnosticLike | undefined): string {
  if (diagnostic !== undefined) {
    return diagnostic.message;
  }
  let text = `Case \`${verdict.case}\` fails its expectations: ${verdict.reason}.`;
  if (verdict.offendingText !== null) {
    text += `\nOffending text: \u201c${verdict.offendingText}\u201d (explained: its salience is painted on the prompt).`;
  }
  return text;
}

/** A tested case's output in the test results (a terminal: lines end with \r\n). */
export function testOutput(verdict: CaseVerdict): string {
  const outcome = verdict.passed ? 'passed' : 'failed';
  const text = `Case ${verdict.case} ${outcome}: ${verdict.reason}\nResponse:\n${verdict.response}\n`;
  return text.replace(/\r?\n/g, '\r\n');
}
