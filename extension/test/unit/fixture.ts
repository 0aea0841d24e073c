import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { type ExplanationResult, parseExplanationResult } from '../../src/protocol';

/** Where the test sources are (tests run compiled, from build/unit/test/unit). */
export const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'extension', 'test', 'unit', 'fixtures');

/** The raw JSON the real server answered to `promptSalience.run` on prompts/menu-fewshot-mistake.prompt. */
export function rawFixture(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(FIXTURES, 'menu-result.json'), 'utf8')) as Record<string, unknown>;
}

export function loadFixture(): ExplanationResult {
  return parseExplanationResult(rawFixture());
}

export const PROMPT_TEXT = readFileSync(path.resolve(FIXTURES, '..', '..', '..', '..', 'prompts', 'menu-fewshot-mistake.prompt'), 'utf8');

/** What the real server answered around `promptSalience.test` (see `about` in the file): raw JSON. */
export interface CaseTestsFixture {
  lensesBefore: { range: unknown; command?: { title: string; command: string; arguments?: unknown[] } }[];
  lensesAfter: CaseTestsFixture['lensesBefore'];
  failedReport: Record<string, unknown>;
  passedReport: Record<string, unknown>;
  diagnostics: { range: { start: { line: number } }; message: string; code?: string; severity: number }[];
}

export function caseTestsFixture(): CaseTestsFixture {
  return JSON.parse(readFileSync(path.join(FIXTURES, 'case-tests.json'), 'utf8')) as CaseTestsFixture;
}

/** What the real server answered around `promptSalience.compare` (see `about` in the file): raw JSON. */
export interface ComparisonFixture {
  compareLenses: { title: string; command: string; arguments: unknown[] }[];
  report: Record<string, unknown>;
}

export function comparisonFixture(): ComparisonFixture {
  return JSON.parse(readFileSync(path.join(FIXTURES, 'comparison-report.json'), 'utf8')) as ComparisonFixture;
}
