import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { caseAtLine } from '../../src/caseAtCursor';
import { planSampleCopies, renamedNotice } from '../../src/samplePlan';
import { STARTER_PROMPT } from '../../src/starterPrompt';
import { PROMPT_TEXT } from './fixture';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

describe('the case under the cursor', () => {
  const lines = PROMPT_TEXT.split('\n');
  const lineOf = (text: string): number => lines.findIndex((l) => l.includes(text));
  // The server's lenses sit on each case's `- name:` line.
  const cases = [
    { case: 'quiche-lorraine', line: lineOf('- name: quiche-lorraine') },
    { case: 'crepe-suzette', line: lineOf('- name: crepe-suzette') },
  ];

  it("is the case whose lens line or indented block holds the cursor", () => {
    assert.equal(caseAtLine(lines, cases, lineOf('- name: quiche-lorraine')), 'quiche-lorraine');
    assert.equal(caseAtLine(lines, cases, lineOf('- name: crepe-suzette')), 'crepe-suzette');
    assert.equal(caseAtLine(lines, cases, lineOf('menu_item: Crêpe Suzette')), 'crepe-suzette');
  });

  it('is none above the cases and in the body, where several cases run the same text', () => {
    assert.equal(caseAtLine(lines, cases, lineOf('max_new_tokens')), undefined);
    assert.equal(caseAtLine(lines, cases, lineOf('menu_item: Quiche Lorraine')), undefined); // the top-level vars
    assert.equal(caseAtLine(lines, cases, lineOf('Analyze a menu item')), undefined);
  });

  it('is the only case of a file with one, wherever the cursor is', () => {
    assert.equal(caseAtLine(lines, [{ case: 'default', line: 20 }], 0), 'default');
  });

  it('is the record on the cursor line of a dataset', () => {
    const records = ['{"a": 1}', '{"a": 2}', '{"a": 3}'];
    const recordCases = records.map((_, line) => ({ case: `record-${line + 1}`, line }));
    assert.equal(caseAtLine(records, recordCases, 1), 'record-2');
  });
});

describe('copying the sample prompts', () => {
  const samples = new Map([
    ['menu-a.prompt', 'A'],
    ['menu-b.prompt', 'B'],
    ['menu-c.jsonl', 'C'],
  ]);

  it('copies into an empty folder under the same names', () => {
    const plan = planSampleCopies(samples, new Map());
    assert.deepEqual(plan.map((p) => [p.target, p.action]), [['menu-a.prompt', 'copy'], ['menu-b.prompt', 'copy'], ['menu-c.jsonl', 'copy']]);
    assert.equal(renamedNotice(plan), undefined);
  });

  it("reuses a file holding the sample's text, and never overwrites a user's file", () => {
    const existing = new Map([
      ['menu-a.prompt', 'A'],
      ['menu-b.prompt', 'my own edit'],
      ['menu-b-2.prompt', 'another of mine'],
    ]);
    const plan = planSampleCopies(samples, existing);
    assert.deepEqual(plan.map((p) => [p.sample, p.target, p.action]), [
      ['menu-a.prompt', 'menu-a.prompt', 'same'],
      ['menu-b.prompt', 'menu-b-3.prompt', 'renamed'],
      ['menu-c.jsonl', 'menu-c.jsonl', 'copy'],
    ]);
    for (const copy of plan.filter((p) => p.action !== 'same')) {
      assert.ok(!existing.has(copy.target), `${copy.target} is not a user's file`);
    }
    assert.match(renamedNotice(plan) ?? '', /menu-b-3\.prompt \(your menu-b\.prompt is left as it was\)/);
  });

  it('reuses an earlier renamed copy instead of making another', () => {
    const plan = planSampleCopies(samples, new Map([['menu-b.prompt', 'mine'], ['menu-b-2.prompt', 'B']]));
    assert.deepEqual(plan.find((p) => p.sample === 'menu-b.prompt'), { sample: 'menu-b.prompt', target: 'menu-b-2.prompt', action: 'same' });
  });
});

describe('the starter prompt of New Prompt File', () => {
  it('has a variable, a case with expect:, a placeholder in the body, and comments', () => {
    const [, front, body] = STARTER_PROMPT.split(/^---$/m);
    assert.match(front, /^vars:\n {2}review: /m);
    assert.match(front, /^cases:\n(?: .*\n)*? {4}expect:\n {6}- contains: /m);
    assert.match(body, /\{\{review\}\}/);
    const keys = [...front.matchAll(/^(\w+):/gm)].map((m) => m[1]);
    for (const key of keys) {
      const line = front.split('\n').findIndex((l) => l.startsWith(`${key}:`));
      assert.match(front.split('\n')[line - 1], /^#/, `${key} has a comment above it`);
    }
  });

  const python = path.join(REPO, '.venv', 'bin', 'python');
  it("passes the server's own check (prompt-salience check)", { skip: !existsSync(python) && 'no .venv' }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'starter-'));
    try {
      const file = path.join(dir, 'starter.prompt');
      writeFileSync(file, STARTER_PROMPT);
      // Throws (non-zero exit) on any problem; prints nothing when the file is clean.
      assert.equal(execFileSync(python, ['-m', 'prompt_salience', 'check', file], { encoding: 'utf8' }).trim(), '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
