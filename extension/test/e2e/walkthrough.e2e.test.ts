/// <reference lib="dom" />
/**
 * End to end, in a real VS Code (code-server + headless Chromium) with the real server and the
 * embedded Gemma 3 270M: the walkthrough "Debug a prompt with salience" opens, and its buttons
 * do each step (copy the samples, run, compare with the pinned result, export), with Ctrl+Enter
 * running the case under the cursor and explaining the response view's line. Screenshots go to
 * out/e2e/walkthrough/, each step's image (downscaled) to out/e2e/walkthrough/media/. With
 * PS_E2E_UPDATE_IMAGES=1 the step images also replace extension/media/walkthrough/, so the
 * walkthrough shows a real run; a plain test run never changes a tracked file.
 */

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Page } from 'playwright-core';

import { type HelperState, missingPieces, REPO, type Session, startSession, waitFor } from './codeServer';
import * as ui from './workbench';
import { decorations, textBox } from './workbench';

const OUT = path.join(REPO, 'out', 'e2e', 'walkthrough');
const MEDIA = path.join(OUT, 'media');
const SHIPPED_MEDIA = path.join(REPO, 'extension', 'media', 'walkthrough');
const UPDATE_IMAGES = process.env.PS_E2E_UPDATE_IMAGES === '1';
const SAMPLES_FOLDER_NAME = 'prompt-salience-samples'; // samples.ts's SAMPLES_FOLDER
const SAMPLE = `/${SAMPLES_FOLDER_NAME}/menu-fewshot-mistake.prompt`;
const RECOMMENDATION = 'Recommendation: You have to try it.';
const RUN_TIMEOUT_MS = 8 * 60 * 1000; // first run: JAX import, model load, compilation
const IMAGE_WIDTH = 1000;
const IMAGE_LIMIT = 200_000; // bytes: "under 200 KB"

type Shown = HelperState['shown'][number];

function sample(state: HelperState): Shown | undefined {
  return state.shown.find((s) => s.uri.endsWith(SAMPLE));
}

function finishedRuns(state: HelperState, caseName: string): number {
  return state.history.filter((h) => h.kind === 'promptSalience.run' && h.case === caseName && h.outcome === 'done').length;
}

/** Whether the palette, opened on the current focus, offers a command of that title. */
async function paletteOffers(page: Page, title: string): Promise<boolean> {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input', { timeout: 10000 });
  await page.keyboard.type(title);
  await page.waitForTimeout(800); // the list filters as one types
  const offered = await page.evaluate((t) => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes(t)), title);
  await page.keyboard.press('Escape');
  return offered;
}

const missing = missingPieces();

describe('The walkthrough "Debug a prompt with salience" (code-server, real model)', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh --e2e` }, () => {
  let session: Session;
  let page: Page;

  /** A full-size screenshot into out/e2e/walkthrough/, and for a step its image for the
   * walkthrough: the editor groups right of the walkthrough (the walkthrough shows it beside
   * its own steps), downscaled by the browser itself (no image library) under 200 KB. */
  const shot = async (name: string, stepImage?: string): Promise<void> => {
    await page.screenshot({ path: path.join(OUT, `${name}.png`) });
    if (stepImage === undefined) {
      return;
    }
    const clip = await page.evaluate(() => {
      const group = document.querySelectorAll('.editor-group-container').item(1) as Element | null;
      const beside = group?.getBoundingClientRect();
      return beside === undefined ? null : { x: beside.x, y: 0, width: window.innerWidth - beside.x, height: window.innerHeight };
    });
    const part = await page.screenshot(clip ? { clip } : {});
    const [naturalWidth, naturalHeight] = clip ? [clip.width, clip.height] : [1600, 1000];
    const scaler = await page.context().newPage();
    try {
      for (let width = Math.min(IMAGE_WIDTH, Math.round(naturalWidth)); ; width = Math.round(width * 0.85)) {
        await scaler.setViewportSize({ width, height: Math.round((width * naturalHeight) / naturalWidth) });
        await scaler.setContent(`<body style="margin:0"><img id="i" style="width:${width}px;display:block" src="data:image/png;base64,${part.toString('base64')}"></body>`);
        const image = await scaler.locator('#i').screenshot();
        if (image.length < IMAGE_LIMIT || width < 500) {
          writeFileSync(path.join(MEDIA, stepImage), image);
          if (UPDATE_IMAGES) {
            writeFileSync(path.join(SHIPPED_MEDIA, stepImage), image);
          }
          return;
        }
      }
    } finally {
      await scaler.close();
    }
  };

  const walkthrough = '.gettingStartedContainer';
  /** Expand a step of the walkthrough, if it is not already. */
  const expandStep = async (stepTitle: string): Promise<void> => {
    const step = page.locator(`${walkthrough} .getting-started-step`, { hasText: stepTitle }).first();
    await step.waitFor({ timeout: 20000 });
    if (!((await step.getAttribute('class')) ?? '').includes('expanded')) {
      await step.click({ position: { x: 30, y: 12 } });
      // Expanding a step focuses it after its animation: let that pass, or it takes the focus
      // from the editor the button's command focuses.
      await page.waitForTimeout(1500);
    }
  };
  /** Expand a step of the walkthrough and click its button. */
  const clickStepButton = async (stepTitle: string, button: string): Promise<void> => {
    await expandStep(stepTitle);
    const link = page.locator(`${walkthrough} .getting-started-step.expanded .monaco-button`, { hasText: button }).first();
    await link.waitFor({ timeout: 10000 });
    await link.click();
  };

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    mkdirSync(MEDIA, { recursive: true });
    session = await startSession(path.join(OUT, 'logs'));
    page = session.page;
  });

  after(async () => {
    await session.stop();
  });

  it('opens from Welcome: Open Walkthrough…, with its five steps', async () => {
    await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } });
    await ui.command(page, 'Open Walkthrough');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes('Debug a prompt with salience')), undefined, { timeout: 20000 });
    await page.keyboard.type('Debug a prompt with salience');
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${walkthrough} .getting-started-step`, { timeout: 20000 });
    const steps = await page.locator(`${walkthrough} .getting-started-step .step-title`).allInnerTexts();
    assert.deepEqual(steps.map((s) => s.trim()), [
      'Open the sample prompts',
      'Run and explain',
      'Select the Recommendation line and read the colours',
      'Fix the first example and compare with the pinned result',
      'Export the report for a teammate',
    ]);
    await shot('01-walkthrough');
  });

  it('copies the sample prompts into the workspace and opens the menu prompt (step 1)', async () => {
    await clickStepButton('Open the sample prompts', 'Open the sample prompts');
    const copied = path.join(session.workspace, 'prompt-salience-samples', 'menu-fewshot-mistake.prompt');
    await waitFor('the copied samples', () => (existsSync(copied) ? true : undefined), 20000);
    assert.equal(readFileSync(copied, 'utf8'), readFileSync(path.join(REPO, 'prompts', 'menu-fewshot-mistake.prompt'), 'utf8'));
    for (const name of ['menu-fewshot-fixed.prompt', 'menu-fewshot-constitution.prompt', 'menu-samples.jsonl']) {
      assert.ok(existsSync(path.join(session.workspace, 'prompt-salience-samples', name)), name);
    }
    await session.waitForState('the sample open', (s) => sample(s) !== undefined, 20000);
    await ui.waitForLens(page, '\u25b6 Run and explain', 120000);
    // No result yet: the palette does not offer what needs one.
    await page.locator('.editor-group-container').nth(1).locator('.view-lines').click({ position: { x: 200, y: 10 } });
    assert.equal(await paletteOffers(page, 'Prompt Salience: Export HTML Report'), false, 'no export before a result');
    assert.equal(await paletteOffers(page, 'Prompt Salience: Run and Explain'), true, 'run offered in a prompt file');
    await page.waitForTimeout(500); // the palette fades out
    await shot('02-samples-open', '1-open-samples.png');
    await page.keyboard.press('Control+B'); // the side bar off: room for the response view
  });

  it("runs and explains the case from the Run step's button, and paints the result (step 2)", async () => {
    await clickStepButton('Run and explain', 'Run and explain');
    // The walkthrough had the focus, the cursor is above the cases: the user picks the case.
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-widget .quick-input-title')).some((e) => e.textContent.includes('Run which case?')), undefined, { timeout: 30000 });
    await page.keyboard.type('quiche');
    await page.keyboard.press('Enter');
    const state = await session.waitForState('the first run painted', (s) => sample(s)?.result != null, RUN_TIMEOUT_MS);
    const result = sample(state)?.result;
    assert.ok(result);
    assert.equal(result.case, 'quiche-lorraine');
    assert.equal(result.spanText, RECOMMENDATION);
    await waitFor('the response view beside the prompt', () => textBox(page, 2, 'Recommendation:').then((b) => b ?? undefined), 30000);
    const painted = await waitFor('salience on the prompt', async () => ((await decorations(page, 1)).length > 0 ? decorations(page, 1) : undefined), 20000);
    assert.ok(new Set(painted.map((d) => d.colour)).size >= 2, 'several shades on the prompt');
    assert.equal(await paletteOffers(page, 'Prompt Salience: Export HTML Report'), true, 'export offered once a result is shown');
    await page.waitForTimeout(500);
    await shot('03-run-and-explain', '2-run-and-explain.png');
  });

  it('explains the line under the cursor, then the selected Recommendation line, with Ctrl+Enter in the response view (step 3)', async () => {
    const before = session.state();
    const response = before && sample(before)?.result?.response;
    assert.ok(response);
    const firstLine = response.split('\n').map((l) => l.trim()).find((l) => l.length > 0 && !l.startsWith('Recommendation')) ?? '';
    const first = await textBox(page, 2, firstLine.slice(0, 12));
    assert.ok(first, `the first line "${firstLine}" is on screen`);
    await page.mouse.click(first.x + 2, first.y + first.h / 2); // the cursor, no selection
    await page.keyboard.press('Control+Enter');
    await session.waitForState('the cursor line explained', (s) => (sample(s)?.result?.spanText ?? '').startsWith(firstLine.slice(0, 12)), 120000);

    const line = await textBox(page, 2, RECOMMENDATION);
    assert.ok(line);
    await page.mouse.click(line.x + 2, line.y + line.h / 2);
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+End');
    await page.keyboard.press('Control+Enter');
    const state = await session.waitForState('the Recommendation line explained', (s) => sample(s)?.result?.spanText === RECOMMENDATION, 120000);
    assert.equal(finishedRuns(state, 'quiche-lorraine'), 1, 'explaining a span does not generate again');
    assert.ok((await decorations(page, 1)).length > 0);
    await expandStep('Select the Recommendation line');
    await shot('04-read-colours', '3-read-colours.png');
  });

  it('pins, fixes the first example, runs the case again with Ctrl+Enter and compares from the walkthrough (step 4)', async () => {
    await ui.clickLens(page, 'Pin this result', 30000);
    await ui.waitForLens(page, 'Pinned \u00b7 unpin', 30000);
    const wrong = await textBox(page, 1, RECOMMENDATION);
    assert.ok(wrong);
    await page.mouse.click(wrong.x + wrong.w + 2, wrong.y + wrong.h / 2);
    await page.keyboard.press('End');
    await page.keyboard.press('Shift+Home');
    await page.keyboard.type('Recommendation: Avoid.');
    const caseLine = await textBox(page, 1, 'name: quiche-lorraine');
    assert.ok(caseLine);
    await page.mouse.click(caseLine.x + caseLine.w + 2, caseLine.y + caseLine.h / 2);
    const before = session.state();
    assert.ok(before);
    await page.keyboard.press('Control+Enter');
    await session.waitForState('the run of the fixed prompt', (s) => finishedRuns(s, 'quiche-lorraine') > finishedRuns(before, 'quiche-lorraine') && sample(s)?.result?.version === sample(s)?.version, 180000);

    await clickStepButton('Fix the first example', 'Compare with the pinned result');
    const state = await session.waitForState('the comparison', (s) => sample(s)?.comparison?.showing === 'difference', 180000);
    assert.equal(sample(state)?.comparison?.case, 'quiche-lorraine');
    const diff = await waitFor('the diff of the answers', () => session.state()?.diffs.find((d) => d.label.includes('pinned answer') && d.original !== null && d.modified !== null), 20000);
    assert.match(diff.original ?? '', /You have to try it/);
    await page.waitForSelector('.monaco-diff-editor', { timeout: 20000 });
    await page.waitForTimeout(800);
    await shot('05-fix-and-compare', '4-fix-and-compare.png');
  });

  it("exports the report from the walkthrough's last step (step 5)", async () => {
    await clickStepButton('Export the report', 'Export the HTML report');
    const target = path.join(session.workspace, SAMPLES_FOLDER_NAME, 'menu-fewshot-mistake.quiche-lorraine.salience.html');
    await page.waitForFunction((file) => Array.from(document.querySelectorAll<HTMLInputElement>('.quick-input-widget input')).some((i) => i.value === file), target, { timeout: 15000 });
    await shot('06-export-dialog', '5-export-report.png');
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'OK' }).click();
    await page.waitForSelector('.notifications-toasts .notification-list-item-message:has-text("Wrote menu-fewshot-mistake.quiche-lorraine.salience.html")', { timeout: 180000 });
    const html = readFileSync(target, 'utf8');
    assert.match(html, /<!DOCTYPE html>/);
    assert.match(html, /Recommendation: Avoid\./, 'the report of the fixed prompt');
    await page.keyboard.press('Escape');
  });

  it('runs the case whose block holds the cursor with Ctrl+Enter', async () => {
    const value = await textBox(page, 1, 'menu_item: Cr\u00eape Suzette');
    assert.ok(value);
    await page.mouse.click(value.x + value.w + 2, value.y + value.h / 2);
    const before = session.state();
    assert.ok(before);
    await page.keyboard.press('Control+Enter');
    const state = await session.waitForState('the run of crepe-suzette', (s) => finishedRuns(s, 'crepe-suzette') > finishedRuns(before, 'crepe-suzette'), 180000);
    assert.equal(finishedRuns(state, 'quiche-lorraine'), finishedRuns(before, 'quiche-lorraine'), 'the other case did not run');
    await shot('07-ctrl-enter-second-case');
  });

  it('creates a commented starter prompt (New Prompt File), which the server reads unsaved', async () => {
    await ui.command(page, 'Prompt Salience: New Prompt File');
    await waitFor('the starter prompt', async () => ((await textBox(page, 1, 'max_new_tokens: 16')) ?? undefined), 20000);
    assert.ok(await textBox(page, 1, '# How many tokens Gemma may write'), 'its keys are commented');
    await ui.waitForLens(page, '\u25b6 Run and explain `happy-review`', 60000);
    await shot('08-new-prompt-file');
  });

  it('offers New Prompt File in File: New File…', async () => {
    await ui.command(page, 'New File...');
    await page
      .waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes('Prompt File')), undefined, { timeout: 20000 })
      .catch(async (error: unknown) => {
        await shot('09-new-file-menu-failed');
        throw error;
      });
    await shot('09-new-file-menu');
    await page.keyboard.press('Escape');
  });

  it('writes each step image under 200 KB', () => {
    for (const image of ['1-open-samples.png', '2-run-and-explain.png', '3-read-colours.png', '4-fix-and-compare.png', '5-export-report.png']) {
      assert.ok(statSync(path.join(MEDIA, image)).size < IMAGE_LIMIT, image);
    }
  });
});
