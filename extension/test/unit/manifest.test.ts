/**
 * The manifest's first-contact contributions (issue 11): the commands a new user needs, their
 * keys, the palette's `when` clauses, the New File entry, the walkthrough, and what the .vsix
 * carries for them.
 */

import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { WALKTHROUGH_ID } from '../../src/walkthrough';

const REPO = path.resolve(__dirname, '..', '..', '..', '..');

interface Command {
  command: string;
  title?: string;
  category?: string;
}
interface MenuItem {
  command: string;
  when?: string;
  group?: string;
}
interface Keybinding {
  command: string;
  key: string;
  mac?: string;
  when?: string;
}
interface Step {
  id: string;
  title: string;
  description: string;
  media: { image?: string; markdown?: string; altText?: string };
  completionEvents?: string[];
}
interface Manifest {
  name: string;
  publisher: string;
  contributes: {
    commands: Command[];
    menus: Record<string, MenuItem[]>;
    keybindings: Keybinding[];
    walkthroughs: { id: string; title: string; steps: Step[] }[];
  };
}

const MANIFEST = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
const { commands, menus, keybindings, walkthroughs } = MANIFEST.contributes;
const declared = new Set(commands.map((c) => c.command));

/** Commands that apply anywhere: no `when` in the palette. Any other command must have one,
 * so a new command makes this test fail until its author decides which it is. */
const ANYWHERE = new Set([
  'promptSalience.openSamples',
  'promptSalience.newPromptFile',
  'promptSalience.chooseMethod', // without a result it sets the user setting
  'promptSalience.chooseGranularity',
  'promptSalience.restartServer',
  'promptSalience.showLogs',
  'promptSalience.chooseModel',
  'promptSalience.setKaggleCredentials',
  'promptSalience.clearKaggleCredentials',
]);

function paletteWhen(command: string): string | undefined {
  return menus.commandPalette.find((m) => m.command === command)?.when;
}

describe('package.json: commands', () => {
  it('gives every command a title and the Prompt Salience category', () => {
    for (const command of commands) {
      assert.ok(command.title !== undefined && command.title.trim() !== '', `${command.command} has a title`);
      assert.equal(command.category, 'Prompt Salience', `${command.command}'s category`);
    }
  });

  it('declares the first-contact commands', () => {
    for (const id of ['promptSalience.openSamples', 'promptSalience.newPromptFile', 'promptSalience.runAndExplain', 'promptSalience.explainSelection']) {
      assert.ok(declared.has(id), id);
    }
  });

  it('gives every command that applies only somewhere a when clause in the palette', () => {
    for (const { command } of commands) {
      if (!ANYWHERE.has(command)) {
        const when = paletteWhen(command);
        assert.ok(when !== undefined && when.trim() !== '', `${command}: a commandPalette when clause (or list it in ANYWHERE)`);
      }
    }
    assert.match(paletteWhen('promptSalience.runAndExplain') ?? '', /editorLangId == prompt-salience/);
    assert.match(paletteWhen('promptSalience.explainSelection') ?? '', /resourceScheme == prompt-salience-response/);
    assert.equal(paletteWhen('promptSalience.exportHtmlReport'), 'promptSalience.hasResult');
    assert.equal(paletteWhen('promptSalience.exportComparison'), 'promptSalience.hasComparison');
  });

  it('names only declared commands in its menus and keys', () => {
    for (const [menu, items] of Object.entries(menus)) {
      for (const item of items) {
        assert.ok(declared.has(item.command), `${menu}: ${item.command}`);
      }
    }
    for (const key of keybindings) {
      assert.ok(declared.has(key.command), key.command);
    }
  });

  it('reads only the context keys the extension sets, or VS Code\'s own', () => {
    const source = readFileSync(path.join(REPO, 'extension', 'src', 'contextKeys.ts'), 'utf8');
    const clauses = [...Object.values(menus).flat(), ...keybindings].map((m) => m.when ?? '');
    for (const key of new Set(clauses.flatMap((when) => when.match(/promptSalience\.\w+/g) ?? []))) {
      assert.ok(source.includes(`'${key}'`), `${key} is set by contextKeys.ts`);
    }
  });
});

describe('package.json: keys and the New File menu', () => {
  it('runs the case under the cursor with Ctrl/Cmd+Enter in a prompt file', () => {
    const run = keybindings.find((k) => k.command === 'promptSalience.runAndExplain');
    assert.ok(run);
    assert.equal(run.key, 'ctrl+enter');
    assert.equal(run.mac, 'cmd+enter');
    assert.match(run.when ?? '', /editorTextFocus && editorLangId == prompt-salience/);
  });

  it('explains the selection with the same key in the response view only', () => {
    const explain = keybindings.find((k) => k.command === 'promptSalience.explainSelection');
    assert.ok(explain);
    assert.equal(explain.key, 'ctrl+enter');
    assert.equal(explain.mac, 'cmd+enter');
    assert.match(explain.when ?? '', /resourceScheme == prompt-salience-response/);
    assert.doesNotMatch(explain.when ?? '', /editorLangId/);
  });

  it('offers New Prompt File in File > New File…', () => {
    assert.ok(menus['file/newFile'].some((m) => m.command === 'promptSalience.newPromptFile'));
  });
});

describe('package.json: the walkthrough', () => {
  const walkthrough = walkthroughs.find((w) => `${MANIFEST.publisher}.${MANIFEST.name}#${w.id}` === WALKTHROUGH_ID);

  it('is "Debug a prompt with salience", in the codelab\'s five steps', () => {
    assert.ok(walkthrough, `${WALKTHROUGH_ID} is declared`);
    assert.equal(walkthrough.title, 'Debug a prompt with salience');
    assert.deepEqual(
      walkthrough.steps.map((s) => s.id),
      ['openSamples', 'runAndExplain', 'readColours', 'fixAndCompare', 'exportReport'],
    );
  });

  it('gives each step a button naming a declared command, and completion events', () => {
    for (const step of walkthrough?.steps ?? []) {
      const buttons = [...step.description.matchAll(/\[[^\]]+\]\(command:(?:toSide:)?([\w.]+)\)/g)].map((m) => m[1]);
      assert.ok(buttons.length > 0, `${step.id} has a button`);
      for (const command of buttons) {
        assert.ok(declared.has(command), `${step.id}: ${command} is declared`);
      }
      assert.ok((step.completionEvents ?? []).includes(`onCommand:${buttons[0]}`), `${step.id} completes on its button`);
    }
  });

  it("shows an image from the end-to-end run in each step, each under 200 KB, shipped in the .vsix", () => {
    const ignore = readFileSync(path.join(REPO, '.vscodeignore'), 'utf8');
    assert.match(ignore, /^!extension\/media\/walkthrough\/\*\*$/m);
    for (const step of walkthrough?.steps ?? []) {
      const image = step.media.image ?? '';
      assert.ok(image.startsWith('extension/media/walkthrough/') && image.endsWith('.png'), `${step.id}: ${image}`);
      const file = path.join(REPO, image);
      assert.ok(existsSync(file), `${image} exists (the walkthrough e2e test writes it)`);
      assert.ok(statSync(file).size < 200_000, `${image} is ${statSync(file).size} bytes`);
      assert.ok((step.media.altText ?? '').length > 0, `${step.id} has alt text`);
    }
  });

  it('ships the sample prompts that Open the Sample Prompts copies', () => {
    const ignore = readFileSync(path.join(REPO, '.vscodeignore'), 'utf8');
    assert.match(ignore, /^!prompts\/menu-\*$/m);
    assert.ok(existsSync(path.join(REPO, 'prompts', 'menu-fewshot-mistake.prompt')));
  });
});
