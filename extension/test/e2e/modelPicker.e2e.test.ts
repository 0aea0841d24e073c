/**
 * End to end, in code-server: "Prompt Salience: Choose Model" lists the embedded model first
 * (a 4-bit-quantised base model of 270M parameters), then the Gemma presets, locked without
 * Kaggle credentials. Choosing a preset offers "Set Kaggle credentials"; the credentials typed
 * there go to SecretStorage, the server restarts with them in its environment, and the presets
 * are then listed as available. A choice goes to the user settings, or to the file's
 * front-matter. Then, with preloading on, the status bar names the loaded model, its device and
 * its precision (the one model load). Screenshots: out/e2e/model-picker/.
 */

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Page } from 'playwright-core';

import { missingPieces, REPO, type Session, startSession, waitFor } from './codeServer';
import * as ui from './workbench';

const OUT = path.join(REPO, 'out', 'e2e', 'model-picker');
const FILE = 'menu-fewshot-mistake.prompt';
const ROWS = '.quick-input-widget .quick-input-list .monaco-list-row';
const missing = missingPieces();

/** The quick pick's rows as shown (label, description and detail run together). */
function rows(page: Page): Promise<string[]> {
  return page.evaluate((selector) => Array.from(document.querySelectorAll(selector)).map((row) => (row as HTMLElement).innerText.replace(/\s+/g, ' ')), ROWS);
}

async function waitForRow(page: Page, text: string, timeoutMs = 60000): Promise<void> {
  await page.waitForFunction(([selector, t]) => Array.from(document.querySelectorAll(selector)).some((row) => row.textContent.includes(t)), [ROWS, text] as const, { timeout: timeoutMs });
}

/** The rows left once `filter` is typed into the quick pick (the labels start with it). */
async function filtered(page: Page, filter: string): Promise<string[]> {
  await page.keyboard.type(filter);
  await page.waitForFunction(
    ([selector, t]) => {
      const left = Array.from(document.querySelectorAll(selector));
      return left.length > 0 && left.every((row) => row.textContent.includes(t));
    },
    [ROWS, filter] as const,
    { timeout: 10000 },
  );
  return (await rows(page)).map((row) => row.trim());
}

/** Type into the quick pick's filter, then take the first row once only matching rows are left. */
async function choose(page: Page, filter: string): Promise<void> {
  await filtered(page, filter);
  await page.keyboard.press('Enter');
}

describe('the model picker', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh` }, () => {
  let session: Session;
  const shot = (name: string): Promise<Buffer> => session.page.screenshot({ path: path.join(OUT, `${name}.png`) });
  const userSettings = (): Record<string, unknown> => JSON.parse(readFileSync(path.join(session.run, 'user-data', 'User', 'settings.json'), 'utf8')) as Record<string, unknown>;

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    session = await startSession(path.join(OUT, 'logs'), { settings: { 'promptSalience.preloadModel': false } });
    await session.waitForState('the server running', (state) => state.serverState === 'running', 120000);
  });

  after(async () => {
    await session.stop();
  });

  it('lists the embedded model first, then the presets, locked without Kaggle credentials', async () => {
    const { page } = session;
    await ui.openFile(page, FILE);
    await ui.command(page, 'Prompt Salience: Choose Model');
    await waitForRow(page, 'Gemma 3 270M (embedded)');
    await waitForRow(page, 'needs Kaggle credentials');
    await shot('01-model-picker');
    // The list is virtual (only the rows on screen are in the page): the top, then a filter.
    const shown = await rows(page);
    assert.match(shown[0], /Gemma 3 270M \(embedded\)/, `embedded first: ${shown.join(' | ')}`);
    assert.match(shown[0], /base model of 270M parameters, 4-bit quantised/);
    assert.match(shown[0], /current: user settings/);
    assert.match(shown[1], /needs Kaggle credentials/, 'then the presets');
    const [gemma2] = await filtered(page, 'gemma2_instruct_2b_en');
    assert.match(gemma2, /^gemma2_instruct_2b_en ?needs Kaggle credentials \(Prompt Salience: Set Kaggle credentials\) 2\.6B parameters \u00b7 2 billion parameter, 26-layer, instruction tuned Gemma model\.$/);
    await page.keyboard.press('Escape');
  });

  it('offers to set Kaggle credentials for a preset; with them the server restarts and the presets are available', async () => {
    const { page } = session;
    const starts = session.state()?.serverStarts ?? 0;
    await ui.command(page, 'Prompt Salience: Choose Model');
    await waitForRow(page, 'Gemma 3 270M (embedded)');
    await choose(page, 'gemma3_instruct_1b');
    await waitForRow(page, 'User settings', 10000);
    await shot('02-where');
    await choose(page, 'User settings');
    await waitFor('the user setting', () => (userSettings()['promptSalience.model'] === 'gemma3_instruct_1b' ? true : undefined), 10000);
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'no Kaggle credentials are set' });
    await toast.waitFor({ timeout: 20000 });
    await shot('03-needs-credentials');
    await toast.locator('.monaco-button', { hasText: 'Set Kaggle credentials' }).click();
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10000 });
    await page.keyboard.type('ada-lovelace');
    await page.keyboard.press('Enter');
    await page.waitForSelector('.quick-input-widget input[type="password"]', { timeout: 10000 });
    await page.keyboard.type('0123456789abcdef0123456789abcdef');
    await shot('04-key-hidden');
    await page.keyboard.press('Enter');
    await session.waitForState('the server restarted with the credentials', (state) => state.serverStarts > starts && state.serverState === 'running', 120000);
    assert.ok(!readFileSync(path.join(session.run, 'user-data', 'User', 'settings.json'), 'utf8').includes('0123456789abcdef'), 'the key is not in the settings');
    await ui.command(page, 'Prompt Salience: Choose Model');
    await waitForRow(page, 'Kaggle credentials present');
    await shot('05-credentials-present');
    const [chosen] = await filtered(page, 'gemma3_instruct_1b');
    assert.match(chosen, /current: user settings \u00b7 Kaggle credentials present/);
    await page.keyboard.press('Escape');
  });

  it("puts a choice in the file's front-matter", async () => {
    const { page } = session;
    await ui.openFile(page, FILE);
    await ui.command(page, 'Prompt Salience: Choose Model');
    await waitForRow(page, 'Gemma 3 270M (embedded)');
    await choose(page, '(embedded)');
    await waitForRow(page, 'User settings', 10000);
    await choose(page, 'This file');
    await waitFor('model: in the front-matter', async () => ((await ui.textBox(page, 0, 'model: gemma3_270m')) === null ? undefined : true), 10000);
    await shot('06-front-matter');
    await ui.command(page, 'File: Revert File');
  });

  it('shows the loaded model, its device and its precision in the status bar', async () => {
    const { page } = session;
    await ui.openFile(page, FILE);
    await session.setSetting('promptSalience.model', 'gemma3_270m');
    await session.setSetting('promptSalience.preloadModel', true); // a prompt file is open: it loads
    const item = page.locator('.statusbar-item', { hasText: 'Salience: ready (gemma3_270m' }).first();
    await item.waitFor({ timeout: 300000 }).catch(async (error: unknown) => {
      await shot('07-status-bar-not-ready');
      throw error;
    });
    assert.match(await item.innerText(), /ready \(gemma3_270m \u00b7 (CPU|NVIDIA [^\u00b7]+) \u00b7 float32\)/);
    await item.hover();
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.workbench-hover, .monaco-hover')).some((e) => (e as HTMLElement).innerText.includes('is loaded, on')), undefined, { timeout: 10000 });
    await shot('07-status-bar');
  });
});
