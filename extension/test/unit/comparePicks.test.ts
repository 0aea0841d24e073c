import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { caseOfRunArguments, otherPromptPicks } from '../../src/comparePicks';

const ACTIVE = 'file:///w/prompts/menu-fewshot-mistake.prompt';

describe('otherPromptPicks', () => {
  it('offers every prompt file but the active one, by folder then name, named by the file', () => {
    const picks = otherPromptPicks(ACTIVE, [
      { uri: 'file:///w/prompts/menu-fewshot-mistake.prompt', relative: 'prompts/menu-fewshot-mistake.prompt' },
      { uri: 'file:///w/top.prompt', relative: 'top.prompt' },
      { uri: 'file:///w/prompts/menu-fewshot-fixed.prompt', relative: 'prompts/menu-fewshot-fixed.prompt' },
      { uri: 'file:///w/prompts/a.prompt', relative: 'prompts\\a.prompt' },
    ]);
    assert.deepEqual(picks, [
      { label: 'top.prompt', uri: 'file:///w/top.prompt' },
      { label: 'a.prompt', description: 'prompts', uri: 'file:///w/prompts/a.prompt' },
      { label: 'menu-fewshot-fixed.prompt', description: 'prompts', uri: 'file:///w/prompts/menu-fewshot-fixed.prompt' },
    ]);
  });

  it('offers nothing when the active file is the only one', () => {
    assert.deepEqual(otherPromptPicks(ACTIVE, [{ uri: ACTIVE, relative: 'prompts/menu-fewshot-mistake.prompt' }]), []);
  });
});

describe('caseOfRunArguments', () => {
  it("reads the case a run lens's CaseParams names", () => {
    assert.equal(caseOfRunArguments([{ uri: ACTIVE, case: 'quiche-lorraine' }]), 'quiche-lorraine');
  });

  it('gives nothing for a lens without a case or with arguments that are not CaseParams', () => {
    assert.equal(caseOfRunArguments(undefined), undefined);
    assert.equal(caseOfRunArguments([]), undefined);
    assert.equal(caseOfRunArguments([{ uri: ACTIVE }]), undefined);
    assert.equal(caseOfRunArguments([{ uri: ACTIVE, case: null }]), undefined);
    assert.equal(caseOfRunArguments(['not params']), undefined);
  });
});
