/// <reference lib="dom" />
/**
 * End to end, in a real VS Code (code-server + headless Chromium), with the real language
 * server and the embedded Gemma 3 270M: run the LIT codelab's menu prompt, explain spans of its
 * response, and check what the user sees. A screenshot of each step goes to out/e2e/.
 */

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Page } from 'playwright-core';

import { descendants, type HelperState, missingPieces, REPO, type Session, startSession, waitFor } from './codeServer';
import * as ui from './workbench';
import { type Decoration, decorations, overlaps, textBox } from './workbench';

const OUT = path.join(REPO, 'out', 'e2e', 'menu-prompt');
const PROMPT = 'menu-fewshot-mistake.prompt';
const FIXED = 'menu-fewshot-fixed.prompt'; // its top-level `expect:` applies to both its cases
const FIXED_CASES = ['crepe-suzette', 'quiche-lorraine'];
const RECOMMENDATION = 'Recommendation: You have to try it.';
const RUN_TIMEOUT_MS = 8 * 60 * 1000; // first run: JAX import, model load, compilation

type Legend = NonNullable<HelperState['shown'][number]['result']>['legend'];

/** The entry of the server's legend whose `#rrggbbaa` colour is the CSS colour `css`, if any. */
function legendEntryOf(css: string, legend: Legend): Legend[number] | undefined {
  const [r, g, b, a = 1] = (css.match(/[\d.]+/g) ?? []).map(Number);
  return legend.find((entry) => {
    if (entry.colour === null) {
      return false;
    }
    const [er, eg, eb, ea] = [1, 3, 5, 7].map((i) => parseInt((entry.colour ?? '').slice(i, i + 2), 16));
    return er === r && eg === g && eb === b && Math.abs(ea / 255 - a) < 0.01;
  });
}

/** Every painted colour is one the server's legend gave. */
function assertLegendColours(painted: Decoration[], legend: Legend): void {
  for (const decoration of painted) {
    assert.ok(legendEntryOf(decoration.colour, legend), `${decoration.colour} is in the legend ${JSON.stringify(legend)}`);
  }
}

function signature(found: Decoration[]): string {
  return found
    .map((d) => `${d.colour}@${Math.round(d.box.x)},${Math.round(d.box.y)},${Math.round(d.box.w)}`)
    .sort()
    .join('|');
}

function shownPrompt(state: HelperState): HelperState['shown'][number] | undefined {
  return state.shown.find((s) => s.uri.endsWith(PROMPT));
}

/** The cases of the fixed prompt among the Test Explorer's items (ids `<uri>#<case>`). */
function fixedCaseItems(state: HelperState): string[] {
  return state.testItems.filter((id) => id.includes(`/${FIXED}#`)).map((id) => id.slice(id.lastIndexOf('#') + 1)).sort();
}

interface TestRow {
  text: string;
  /** "true" / "false" for a row with children, else null. */
  expanded: string | null;
  passed: boolean;
}

/** The rows of the Testing view: their text, whether they are expanded, whether they passed. */
function testRows(page: Page): Promise<TestRow[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('.test-explorer .monaco-list-row')).map((row) => ({
      text: (row as HTMLElement).innerText,
      expanded: row.getAttribute('aria-expanded'),
      passed: row.querySelector('.codicon-testing-passed-icon') !== null,
    })),
  );
}

function runs(state: HelperState): number {
  return state.history.filter((h) => h.kind === 'promptSalience.run').length;
}

const missing = missingPieces();

describe('Prompt Salience in VS Code (code-server, headless Chromium, real model)', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh` }, () => {
  let session: Session;
  let page: Page;
  let step = 0;
  const shot = async (name: string): Promise<void> => {
    step += 1;
    await page.screenshot({ path: path.join(OUT, `${String(step).padStart(2, '0')}-${name}.png`) });
  };
  const waitForLens = (prefix: string, timeoutMs: number): Promise<void> => ui.waitForLens(page, prefix, timeoutMs);
  const clickLens = (prefix: string, timeoutMs: number): Promise<void> => ui.clickLens(page, prefix, timeoutMs);
  const command = (title: string): Promise<void> => ui.command(page, title);
  const openFile = (name: string): Promise<void> => ui.openFile(page, name);

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    session = await startSession(path.join(OUT, 'logs'));
    page = session.page;
  });

  after(async () => {
    await session.stop();
  });

  it('opens the menu prompt with its grammar and the Run and explain CodeLens', async () => {
    await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } });
    await openFile(PROMPT);
    await page.waitForSelector('.monaco-editor .view-lines', { timeout: 15000 });
    await clickLens('\u25b6 Run and explain', 120000).catch(async (error: unknown) => {
      await shot('no-codelens');
      throw error;
    });
    await shot('running');
    // The notification shows the server's progress, with a Cancel button.
    await page.waitForSelector('.notifications-toasts .notification-list-item-message', { timeout: 20000 });
    const toast = await page.locator('.notifications-toasts .notification-list-item-message').first().innerText();
    assert.match(toast, /Prompt Salience: running/);
  });

  it('shows the response beside the prompt and paints salience on the prompt and a variable value', async () => {
    const state = await session.waitForState('the first run', (s) => shownPrompt(s)?.result != null, RUN_TIMEOUT_MS);
    const result = shownPrompt(state)?.result;
    assert.ok(result);
    assert.equal(result.case, 'quiche-lorraine');
    assert.equal(result.spanText, RECOMMENDATION); // the front-matter's `explain:`
    await waitFor('the response view', () => textBox(page, 1, 'Recommendation:').then((b) => b ?? undefined), 20000);
    await page.waitForTimeout(500);
    await shot('response-view');
    const painted = await decorations(page, 0);
    const colours = new Set(painted.map((d) => d.colour));
    assert.ok(colours.size >= 3, `several colours on the prompt: ${[...colours].join(' ')}`);
    // At the default intensity the server names theme colours, whose defaults are its colours.
    assert.ok(result.legend.every((e) => (e.bucket === 0) === (e.themeColour === null)), JSON.stringify(result.legend));
    assertLegendColours(painted, result.legend);
    const value = await textBox(page, 0, 'Quiche Lorraine');
    assert.ok(value, 'the front-matter value is on screen');
    assert.ok(painted.some((d) => overlaps(d.box, value)), 'the variable value is painted');
    const inView = await decorations(page, 1);
    assert.ok(inView.length >= 4, 'the response view paints its context and its legend');
  });

  it('explains a span selected in the response view', async () => {
    const first = await textBox(page, 1, 'it has cheese');
    assert.ok(first);
    await page.mouse.click(first.x + 1, first.y + first.h / 2);
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await session.waitForState('the first line explained', (s) => (shownPrompt(s)?.result?.spanText ?? '').startsWith('it has cheese'), 120000);
    await page.waitForTimeout(500);
    await shot('first-line-explained');

    const before = signature(await decorations(page, 0));
    const line = await textBox(page, 1, RECOMMENDATION);
    assert.ok(line);
    await page.mouse.click(line.x + 1, line.y + line.h / 2);
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    const state = await session.waitForState('the Recommendation line explained', (s) => shownPrompt(s)?.result?.spanText === RECOMMENDATION, 120000);
    await page.waitForTimeout(500);
    await shot('recommendation-explained');
    assert.equal(runs(state), 1, 'explaining a span does not generate again');
    const painted = await decorations(page, 0);
    assert.ok(new Set(painted.map((d) => d.colour)).size >= 3);
    assert.notEqual(signature(painted), before, 'another span, other colours');
    const value = await textBox(page, 0, 'Quiche Lorraine');
    assert.ok(value && painted.some((d) => overlaps(d.box, value)), 'the variable value is painted');
  });

  it('shows the score in a hover over a painted variable value', async () => {
    const value = await textBox(page, 0, 'Quiche Lorraine');
    assert.ok(value);
    await page.mouse.move(value.x + value.w / 2, value.y + value.h / 2);
    const hover = await waitFor(
      'the hover',
      () => page.evaluate(() => Array.from(document.querySelectorAll('.monaco-hover:not(.hidden) .monaco-hover-content')).map((e) => (e as HTMLElement).innerText).find((t) => t.includes('Salience'))),
      15000,
    );
    await shot('hover');
    assert.match(hover, /Salience \d/);
    assert.match(hover, /rank \d+ of \d+/);
    const state = await session.waitForState('the hover through the API', (s) => (shownPrompt(s)?.hover ?? '').includes('Salience'), 15000);
    assert.match(shownPrompt(state)?.hover ?? '', /Segment: `Suggestion: Quiche Lorraine`/);
    await page.mouse.move(5, 500);
  });

  it('switches the granularity without a new generation', async () => {
    const before = await decorations(page, 0);
    const stateBefore = session.state();
    assert.ok(stateBefore);
    await command('Prompt Salience: Choose Granularity');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes('words')), undefined, { timeout: 10000 });
    await page.keyboard.type('words');
    await page.keyboard.press('Enter');
    const state = await session.waitForState('the words view', (s) => shownPrompt(s)?.result?.granularity === 'words', 60000);
    await page.waitForTimeout(500);
    await shot('granularity-words');
    assert.equal(runs(state), runs(stateBefore), 'no new run');
    assert.equal(state.history[state.history.length - 1].kind, 'promptSalience.setView');
    assert.equal(shownPrompt(state)?.result?.response, shownPrompt(stateBefore)?.result?.response);
    assert.equal(shownPrompt(state)?.result?.spanText, RECOMMENDATION);
    const after = await decorations(page, 0);
    assert.notEqual(signature(after), signature(before));
    assert.ok(after.length > before.length, `words give more, smaller segments (${before.length} -> ${after.length})`);
  });

  it('switches to a signed method: orange towards the span, blue away from it', async () => {
    const before = session.state();
    assert.ok(before);
    await command('Prompt Salience: Choose Method');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes('grad_dot_input')), undefined, { timeout: 10000 });
    await page.keyboard.type('grad_dot_input');
    await page.keyboard.press('Enter');
    const state = await session.waitForState('the grad_dot_input view', (s) => shownPrompt(s)?.result?.method === 'grad_dot_input', 60000);
    await page.waitForTimeout(500);
    await shot('method-grad-dot-input');
    assert.equal(runs(state), runs(before), 'no new run');
    const colours = new Set((await decorations(page, 0)).map((d) => d.colour.replace(/, [\d.]+\)$/, '')));
    assert.ok([...colours].some((c) => c.includes('234, 88, 12')), `orange among ${[...colours].join(' ')}`);
    assert.ok([...colours].some((c) => c.includes('37, 99, 235')), `blue among ${[...colours].join(' ')}`);
    // The status bar item: method and granularity, and the legend in its tooltip.
    const item = page.locator('.statusbar-item', { hasText: 'Salience: ready' }).first();
    assert.match(await item.innerText(), /grad_dot_input · words/);
    await item.hover();
    const tooltip = await waitFor(
      'the legend tooltip',
      () => page.evaluate(() => Array.from(document.querySelectorAll('.workbench-hover, .monaco-hover')).map((e) => (e as HTMLElement).innerText).find((t) => t.includes('Most salient'))),
      10000,
    );
    assert.match(tooltip, /pushed towards the span/);
    await shot('status-legend');
    await page.mouse.move(800, 500);
  });

  it('applies a new intensity setting at once, without restarting the server', async () => {
    const before = session.state();
    assert.ok(before);
    await session.setSetting('promptSalience.intensity', 0.8);
    // Signed map, 3 levels: opacities 0.8 * (1, 2, 3) / 3; the strongest bucket is at 0.8.
    await waitFor('stronger colours', async () => ((await decorations(page, 0)).some((d) => /, 0\.8\)$/.test(d.colour)) ? true : undefined), 20000);
    await shot('intensity-0.8');
    const state = await session.waitForState('the restyled result', (s) => shownPrompt(s)?.result?.intensity === 0.8, 10000);
    assert.equal(state.serverStarts, before.serverStarts, 'no restart');
    const result = shownPrompt(state)?.result;
    assert.equal(result?.method, 'grad_dot_input', 'the result is still shown');
    assert.ok(result);
    // Away from the default intensity the server's legend gives literal colours, painted as they are.
    assert.ok(result.legend.every((e) => e.themeColour === null), JSON.stringify(result.legend));
    assertLegendColours(await decorations(page, 0), result.legend);
  });

  it("exports the engine's HTML report of what is shown", async () => {
    const target = path.join(session.workspace, 'prompts', 'menu-fewshot-mistake.quiche-lorraine.salience.html');
    await command('Prompt Salience: Export HTML Report');
    // The save dialog (VS Code's simple file dialog in the browser) proposes a file by the prompt.
    await page.waitForFunction((file) => Array.from(document.querySelectorAll<HTMLInputElement>('.quick-input-widget input')).some((i) => i.value === file), target, { timeout: 15000 });
    await shot('export-dialog');
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).click();
    const wrote = '.notifications-toasts .notification-list-item-message:has-text("Wrote menu-fewshot-mistake.quiche-lorraine.salience.html")';
    await page.waitForSelector(wrote, { timeout: 180000 });
    await shot('exported');
    const html = readFileSync(target, 'utf8');
    assert.match(html, /<!DOCTYPE html>/);
    assert.match(html, /Recommendation: You have to try it\./);
    assert.match(html, /grad_dot_input/);
    assert.doesNotMatch(await page.locator(wrote).innerText(), /differs/, 'the report explains the response shown');
    assert.match(html, /--intensity: 0\.8/, 'at the intensity set');
    await page.keyboard.press('Escape');
  });

  it('paints the salience again where the server moved it after an edit elsewhere', async () => {
    const before = session.state();
    assert.ok(before);
    const shownBefore = shownPrompt(before);
    assert.ok(shownBefore?.result);
    const bodyBefore = await textBox(page, 0, 'Analyze a menu item');
    const description = await textBox(page, 0, 'The LIT codelab');
    assert.ok(bodyBefore && description);
    // A new line inside the description: text the case does not depend on.
    await page.mouse.click(description.x + description.w + 2, description.y + description.h / 2);
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('One more line of description.');
    const state = await session.waitForState(
      'the server to move the result to the new version',
      (s) => {
        const shown = shownPrompt(s);
        return shown?.result != null && shown.result.version === shown.version && shown.version > shownBefore.version;
      },
      20000,
    );
    assert.equal(shownPrompt(state)?.result?.spanText, shownBefore.result.spanText, 'the same result, not a new run');
    assert.equal(runs(state), runs(before));
    const bodyAfter = await textBox(page, 0, 'Analyze a menu item');
    assert.ok(bodyAfter);
    assert.ok(bodyAfter.y > bodyBefore.y, 'the body moved down a line');
    await waitFor('the moved body to be painted', async () => {
      const painted = (await decorations(page, 0)).filter((d) => Math.abs(d.box.y - bodyAfter.y) < 3);
      return painted.length > 0 ? true : undefined;
    }, 10000);
    await shot('moved');
  });

  it('hides the salience at an edit, and the server drops what the edit touched', async () => {
    const body = await textBox(page, 0, 'Analyze a menu item');
    assert.ok(body);
    const painted = (await decorations(page, 0)).filter((d) => d.box.y >= body.y - 1 && d.box.w > 20);
    assert.ok(painted.length > 0, 'the body is painted before the edit');
    const target = painted[Math.floor(painted.length / 2)].box;
    await page.mouse.click(target.x + target.w / 2, target.y + target.h / 2);
    await page.keyboard.type('Z');
    await waitFor('the touched decoration to go', async () => {
      const now = await decorations(page, 0);
      return now.some((d) => overlaps(d.box, { ...target, w: target.w / 2 })) ? undefined : true;
    }, 10000);
    const state = await session.waitForState('the server to drop the result', (s) => shownPrompt(s)?.result === null, 20000);
    assert.equal(shownPrompt(state)?.dirty, true);
    await page.waitForTimeout(500);
    await shot('edited');
    assert.equal((await decorations(page, 0)).length, 0, 'salience computed on the old text is gone');
    assert.ok(await textBox(page, 1, 'The prompt was edited after this run'), 'the response view says so');
  });

  it('cancels a run from the notification', async () => {
    const before = session.state();
    assert.ok(before);
    // The case that never ran: no re-score of an earlier answer (which the edit above starts
    // after a pause) can replace its Run lens before the click.
    const runLens = '\u25b6 Run and explain `crepe-suzette`';
    await clickLens(runLens, 30000);
    const cancel = page.locator('.notifications-toasts .notification-list-item', { hasText: 'Prompt Salience: running' }).locator('.monaco-button', { hasText: 'Cancel' });
    await cancel.waitFor({ timeout: 20000 });
    await shot('cancel-offered');
    await cancel.click();
    const state = await session.waitForState('the run to be cancelled', (s) => s.history.length > before.history.length && s.history[s.history.length - 1].outcome === 'cancelled', 60000);
    assert.equal(runs(state), runs(before) + 1);
    assert.equal(state.history[state.history.length - 1].case, 'crepe-suzette');
    assert.notEqual(shownPrompt(state)?.result?.case, 'crepe-suzette', 'the cancelled run shows nothing');
    await page.waitForSelector('.notifications-toasts .notification-list-item:has-text("Prompt Salience: running")', { state: 'detached', timeout: 20000 });
    await waitForLens(runLens, 30000); // offered again, not "Running…"
    await shot('cancelled');
    assert.equal(state.serverState, 'running', 'the server lives on');
  });

  it('restarts the server after a crash', async () => {
    const before = session.state();
    assert.ok(before);
    const servers = descendants(session.pid, /prompt_salience\.server/);
    assert.equal(servers.length, 1, 'one language server under code-server');
    process.kill(servers[0], 'SIGKILL');
    await session.waitForState('a new server', (s) => s.serverStarts > before.serverStarts && s.serverState === 'running', 60000);
    const now = descendants(session.pid, /prompt_salience\.server/);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], servers[0]);
    await waitForLens('\u25b6 Run and explain `quiche-lorraine`', 60000); // the new server answers
    await shot('server-restarted');
  });

  it('pins a result, and re-scores the pinned answer after the first example is fixed', async () => {
    const before = session.state();
    assert.ok(before);
    await clickLens('\u25b6 Run and explain `quiche-lorraine`', 30000);
    const ran = await session.waitForState('the run', (s) => runs(s) > runs(before) && shownPrompt(s)?.result != null, 120000);
    await clickLens('Pin this result', 30000);
    await waitForLens('Pinned \u00b7 unpin', 30000);
    // Fix the copy-paste mistake of the first example: its Recommendation line, typed over.
    const wrong = await textBox(page, 0, 'Recommendation: You have to try it.');
    assert.ok(wrong);
    await page.mouse.click(wrong.x + wrong.w + 2, wrong.y + wrong.h / 2);
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.type('Recommendation: Avoid.');
    await waitForLens('log p(pinned answer)', 60000);
    const lens = await page.locator('.monaco-editor .contentWidgets .codelens-decoration a', { hasText: 'log p(pinned answer)' }).first().innerText();
    assert.match(lens, /log p\(pinned answer\) -?\d+\.\d \u2192 -?\d+\.\d \(.* likely\) \u00b7 re-scored, not generated/);
    const state = await session.waitForState('the re-scored result to be painted', (s) => shownPrompt(s)?.result?.version === shownPrompt(s)?.version && shownPrompt(s)?.result?.response === shownPrompt(ran)?.result?.response, 30000);
    assert.equal(runs(state), runs(ran), 'no new run: the pinned answer was forced, not generated');
    assert.ok((await decorations(page, 0)).length > 0, 'the re-scored salience is painted');
    assert.ok(await textBox(page, 1, 'Re-scored after your edit, not generated'), 'the response view says so');
    await shot('rescored');
  });

  it('runs the case again and compares it with the pinned answer: a diff of the answers, the difference map on the template', async () => {
    const before = session.state();
    assert.ok(before);
    await clickLens('\u21bb Run again', 30000);
    const ranAgain = (s: HelperState): boolean => s.history.slice(before.history.length).some((h) => h.kind === 'promptSalience.run' && h.outcome === 'done');
    await session.waitForState('the new run', (s) => ranAgain(s) && shownPrompt(s)?.result?.version === shownPrompt(s)?.version, 120000);
    await clickLens('Compare with the pinned answer', 60000);
    const state = await session.waitForState('the comparison', (s) => shownPrompt(s)?.comparison?.showing === 'difference', 120000);
    const comparison = shownPrompt(state)?.comparison;
    assert.ok(comparison);
    assert.equal(comparison.case, 'quiche-lorraine');
    assert.equal(comparison.summary.length, 2);
    assert.match(comparison.summary[0], /pinned answer/);
    // The two answers in a diff editor: the pinned one on the left, the new one on the right.
    const diff = await waitFor('the diff editor', () => session.state()?.diffs.find((d) => d.label.includes('pinned answer \u2194 now') && d.original !== null && d.modified !== null), 20000);
    assert.match(diff.label, /^quiche-lorraine: pinned answer \u2194 now/);
    assert.match(diff.original ?? '', /You have to try it/);
    assert.match(diff.modified ?? '', /Avoid/);
    await page.waitForSelector('.monaco-diff-editor', { timeout: 20000 });
    // The template in the difference map's colours, the edited line outlined.
    const painted = await waitFor('the difference map', async () => {
      const found = await decorations(page, 0);
      return found.length > 0 && found.every((d) => legendEntryOf(d.colour, comparison.legend)) ? found : undefined;
    }, 20000);
    assertLegendColours(painted, comparison.legend);
    const edited = await textBox(page, 0, 'Recommendation: Avoid.');
    assert.ok(edited);
    const outlined = await page.evaluate(() => {
      const container = document.querySelectorAll('.editor-group-container')[0] as Element | undefined;
      return Array.from(container?.querySelectorAll('.monaco-editor .view-overlays .cdr') ?? [])
        .filter((e) => getComputedStyle(e).borderTopStyle === 'dashed')
        .map((e) => {
          const r = e.getBoundingClientRect();
          return { x: r.x, y: r.y, w: r.width, h: r.height };
        });
    });
    assert.ok(outlined.some((box) => overlaps(box, edited)), `the changed line is outlined: ${JSON.stringify(outlined)}`);
    await shot('compared');
    // One command switches to the plain current salience (and back).
    await command('Prompt Salience: Toggle Difference View');
    const toggled = await session.waitForState('the current salience', (s) => shownPrompt(s)?.comparison?.showing === 'salience', 10000);
    const result = shownPrompt(toggled)?.result;
    assert.ok(result);
    await waitFor('the salience colours', async () => {
      const found = await decorations(page, 0);
      return found.length > 0 && found.every((d) => legendEntryOf(d.colour, result.legend)) ? true : undefined;
    }, 10000);
    await shot('compared-toggled');
  });

  it('compares the case with the same case of the fixed prompt (Compare with…), and exports the comparison', async () => {
    const before = session.state();
    assert.ok(before);
    assert.equal(shownPrompt(before)?.result?.case, 'quiche-lorraine');
    // The mistake prompt (left) is the active editor: its case is the one compared.
    const body = await textBox(page, 0, 'Analyze a menu item');
    assert.ok(body);
    await page.mouse.click(body.x + 1, body.y + body.h / 2);
    await command('Prompt Salience: Compare with\u2026');
    // The quick pick of the other prompt files of the workspace.
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-widget .quick-input-title')).some((e) => e.textContent.includes('Compare case quiche-lorraine with')), undefined, { timeout: 30000 });
    await page.keyboard.type('menu-fewshot-fixed');
    await page.waitForFunction((file) => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes(file)), FIXED, { timeout: 15000 });
    await page.keyboard.press('Enter');
    // The fixed prompt opens beside and runs its case (real model), then the two are compared.
    const against = `the answer of case \`quiche-lorraine\` of ${FIXED}`;
    const state = await session.waitForState('the comparison with the fixed prompt', (s) => (shownPrompt(s)?.comparison?.summary ?? []).some((line) => line.includes(against)), 180000);
    const comparison = shownPrompt(state)?.comparison;
    assert.ok(comparison);
    assert.equal(comparison.case, 'quiche-lorraine');
    assert.equal(comparison.showing, 'difference');
    assert.match(comparison.summary[0], /the answer of case `quiche-lorraine` of menu-fewshot-fixed\.prompt/);
    assert.ok(state.shown.some((s) => s.uri.endsWith(`/${FIXED}`) && s.result?.case === 'quiche-lorraine'), 'the fixed prompt ran its case');
    const diff = await waitFor('the diff editor', () => session.state()?.diffs.find((d) => d.label.includes(FIXED) && d.original !== null && d.modified !== null), 20000);
    assert.match(diff.label, /^quiche-lorraine: answer of case `quiche-lorraine` of menu-fewshot-fixed\.prompt \u2194 now/);
    await page.waitForSelector('.monaco-diff-editor', { timeout: 20000 });
    await page.waitForTimeout(500);
    await shot('compared-with-file');

    // Export the comparison shown, through the same save dialog as the HTML report.
    const target = path.join(session.workspace, 'prompts', 'menu-fewshot-mistake.quiche-lorraine.comparison.html');
    await command('Prompt Salience: Export Comparison Report');
    await page.waitForFunction((file) => Array.from(document.querySelectorAll<HTMLInputElement>('.quick-input-widget input')).some((i) => i.value === file), target, { timeout: 15000 });
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).click();
    const wrote = '.notifications-toasts .notification-list-item-message:has-text("Wrote menu-fewshot-mistake.quiche-lorraine.comparison.html")';
    await page.waitForSelector(wrote, { timeout: 60000 });
    const html = readFileSync(target, 'utf8');
    assert.match(html, /Avoid/);
    assert.match(html, /You have to try it/);
    await page.keyboard.press('Escape');
  });

  it("lists the fixed prompt's cases with expect: in the Testing view, and runs them: they pass", async () => {
    await openFile(FIXED);
    await waitForLens('Test expectations', 60000);
    const state = await session.waitForState('the test items of the fixed prompt', (s) => fixedCaseItems(s).length === FIXED_CASES.length, 30000);
    assert.deepEqual(fixedCaseItems(state), FIXED_CASES, 'one item per case with expect:, from the server lenses');
    await command('Testing: Focus on Test Explorer View');
    // The cases stand under their file (under the extension's name, if VS Code shows it): expand.
    await waitFor('the case items in the Testing view', async () => {
      const rows = await testRows(page);
      if (FIXED_CASES.every((name) => rows.some((row) => row.text.includes(name)))) {
        return true;
      }
      const parent = ['Prompt Salience', FIXED].find((text) => rows.some((row) => row.expanded === 'false' && row.text.includes(text)));
      if (parent !== undefined) {
        await page.locator('.test-explorer .monaco-list-row[aria-expanded="false"]', { hasText: parent }).first().locator('.monaco-tl-twistie').click();
      }
      return undefined;
    }, 20000, 500);
    await command('Test: Run All Tests');
    const passed = await waitFor('both cases to pass', async () => {
      const rows = (await testRows(page)).filter((row) => FIXED_CASES.some((name) => row.text.includes(name)));
      return rows.length === FIXED_CASES.length && rows.every((row) => row.passed) ? rows : undefined;
    }, RUN_TIMEOUT_MS).catch(async (error: unknown) => {
      await shot('testing-not-passed');
      throw error;
    });
    assert.equal(passed.length, FIXED_CASES.length);
    await waitForLens('\u2713 Expectations met', 30000); // the server's verdict lens agrees
    await shot('testing');
  });

  it('offers Run and explain on a LIT .jsonl dataset too', async () => {
    await openFile('menu-samples.jsonl');
    await waitForLens('\u25b6 Run and explain `fewshot-mistake`', 30000);
    await shot('jsonl-dataset');
  });
});
