import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { ProtocolError } from '../../src/checkedJson';
import { type ModelList, modelPickItems, modelTargets, parseModelList, type PickWords } from '../../src/modelPicks';

/** The shape the server answers (tests/lsp/test_model_picker.py checks the server's side). */
const ANSWER = {
  models: [
    { model: 'gemma3_270m', kind: 'embedded', label: 'Gemma 3 270M (embedded)', description: 'Gemma 3 base model of 270M parameters, 4-bit quantised (Q4_K_M): embedded, works offline', available: true, note: '' },
    { model: 'gemma2_instruct_2b_en', kind: 'kaggle', label: 'gemma2_instruct_2b_en', description: '2.6B parameters \u00b7 2 billion parameter, 26-layer, instruction tuned Gemma model.', available: false, note: 'needs Kaggle credentials (Prompt Salience: Set Kaggle credentials)' },
    { model: 'gemma3_1b', kind: 'kaggle', label: 'gemma3_1b', description: '1.0B parameters \u00b7 1 billion parameter model.', available: false, note: 'needs Kaggle credentials (Prompt Salience: Set Kaggle credentials)' },
    { model: '/models/mine', kind: 'local', label: 'mine', description: '/models/mine', available: true, note: 'local preset folder' },
  ],
  current: 'gemma3_270m',
  fileModel: 'gemma3_1b',
  fileMayChoose: true,
  credentials: false,
};

const WORDS: PickWords = {
  embedded: 'Embedded',
  presets: 'Gemma presets',
  folders: 'Preset folders',
  browse: 'Browse\u2026',
  browseDetail: 'a folder',
  current: (where) => `current: ${where}`,
  userSettings: 'user settings',
  thisFile: 'this file',
};

function list(changes: Partial<ModelList> = {}): ModelList {
  return { ...parseModelList(JSON.parse(JSON.stringify(ANSWER))), ...changes };
}

describe("the model picker's list", () => {
  it("reads the server's answer and refuses a kind it does not know", () => {
    const read = list();
    assert.equal(read.models.length, 4);
    assert.equal(read.fileModel, 'gemma3_1b');
    assert.equal(parseModelList({ ...ANSWER, fileModel: null }).fileModel, null);
    const odd = { ...ANSWER, models: [{ ...ANSWER.models[0], kind: 'hub' }] };
    assert.throws(() => parseModelList(odd), (error: Error) => error instanceof ProtocolError && /models\.models\[0\]\.kind should be one of embedded, kaggle, local/.test(error.message));
  });

  it('puts the embedded model first, each kind under its separator, and Browse\u2026 last', () => {
    const items = modelPickItems(list(), WORDS);
    assert.deepEqual(
      items.map((item) => (item.separator ? `-- ${item.label}` : item.label)),
      ['-- Embedded', '$(package) Gemma 3 270M (embedded)', '-- Gemma presets', '$(lock) gemma2_instruct_2b_en', '$(lock) gemma3_1b', '-- Preset folders', '$(folder) mine', '$(folder-opened) Browse\u2026'],
    );
    assert.match(items[1].detail ?? '', /base model of 270M parameters, 4-bit quantised/);
    assert.equal(items.at(-1)?.browse, true);
  });

  it('marks the presets by the credentials, and says where the model in use is set', () => {
    const items = modelPickItems(list(), WORDS);
    const row = (model: string) => items.find((item) => item.choice?.model === model);
    assert.equal(row('gemma3_270m')?.description, 'current: user settings');
    assert.equal(row('gemma3_1b')?.description, 'current: this file \u00b7 needs Kaggle credentials (Prompt Salience: Set Kaggle credentials)');
    const withCredentials = list({ models: list().models.map((m) => (m.kind === 'kaggle' ? { ...m, available: true, note: 'Kaggle credentials present' } : m)), credentials: true });
    const presetLabels = modelPickItems(withCredentials, WORDS).filter((item) => item.choice?.kind === 'kaggle').map((item) => item.label);
    assert.deepEqual(presetLabels, ['$(cloud-download) gemma2_instruct_2b_en', '$(cloud-download) gemma3_1b']);
  });

  it('offers a Preset folders section for Browse\u2026 even when no folder is listed', () => {
    const items = modelPickItems(list({ models: list().models.filter((m) => m.kind !== 'local') }), WORDS);
    assert.deepEqual(items.slice(-2).map((item) => item.label), ['Preset folders', '$(folder-opened) Browse\u2026']);
  });
});

describe('where a chosen model goes', () => {
  it("offers the file's front-matter only for a file the server says may choose", () => {
    assert.deepEqual(modelTargets(list(), true), ['user', 'file']);
    assert.deepEqual(modelTargets(list(), false), ['user']);
    assert.deepEqual(modelTargets(list({ fileMayChoose: false }), true), ['user'], 'untrusted: the user setting only');
  });
});
