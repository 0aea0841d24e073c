/**
 * End to end, in code-server: the server's quick fixes and completion reach the editor through
 * vscode-languageclient alone (no code of ours in extension/src). A misspelt placeholder is
 * fixed with Ctrl+. then Enter, and its diagnostic goes; `{{` then offers the file's variable.
 * No model is needed: preloading is off.
 */

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { type HelperState, missingPieces, REPO, type Session, startSession, waitFor } from './codeServer';
import * as ui from './workbench';

const OUT = path.join(REPO, 'out', 'e2e', 'quickfix');
const FILE = 'quickfix.prompt';
const TEXT = '---\nvars:\n  menu_item: Quiche Lorraine\n---\nSuggestion: {{ menu_itme }}\nAnalysis:\n';
const CODE = 'unknown-placeholder';
const missing = missingPieces();

type Shown = HelperState['shown'][number];

describe('Quick fixes and completion from the server', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh` }, () => {
  let session: Session;
  let file: string;
  const shot = (name: string): Promise<Buffer> => session.page.screenshot({ path: path.join(OUT, `${name}.png`) });
  const shown = (what: string, check: (doc: Shown) => boolean, timeoutMs: number): Promise<HelperState> =>
    session.waitForState(what, (state) => state.shown.some((doc) => doc.uri.endsWith(FILE) && check(doc)), timeoutMs);
  const codes = (doc: Shown): (string | null)[] => (doc.diagnostics ?? []).map((d) => d.code);
  /** Save the editor (Ctrl+S) and read the file back: the text the editor holds. */
  const saved = async (): Promise<string> => {
    await session.page.keyboard.press('Control+S');
    return waitFor('the file saved', () => {
      const state = session.state();
      const doc = state?.shown.find((d) => d.uri.endsWith(FILE));
      return doc !== undefined && !doc.dirty ? readFileSync(file, 'utf8') : undefined;
    }, 20000);
  };

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    session = await startSession(path.join(OUT, 'logs'), {
      settings: { 'promptSalience.preloadModel': false, 'editor.quickSuggestionsDelay': 10 },
    });
    file = path.join(session.workspace, 'prompts', FILE);
    writeFileSync(file, TEXT);
  });

  after(async () => {
    await session.stop();
  });

  it('fixes a misspelt placeholder with Ctrl+. then Enter, and the diagnostic goes', async () => {
    const { page } = session;
    await ui.openFile(page, FILE);
    await shown('the unknown-placeholder error', (doc) => codes(doc).includes(CODE), 120000);
    await page.waitForSelector('.monaco-editor .squiggly-error', { timeout: 20000 });
    await shot('01-misspelt-placeholder');
    const misspelt = await waitFor('the placeholder on screen', () => ui.textBox(page, 0, 'menu_itme').then((box) => box ?? undefined), 20000);
    await page.mouse.click(misspelt.x + misspelt.w / 2, misspelt.y + misspelt.h / 2);
    await page.keyboard.press('Control+.');
    const menu = '.action-widget:not(.action-list-submenu-panel)';
    await page.waitForFunction((selector) => document.querySelector(selector)?.textContent.includes('Change to') ?? false, menu, { timeout: 20000 });
    const offered = await page.locator(menu).first().innerText();
    assert.match(offered, /Change to .menu_item./);
    assert.match(offered, /Add .menu_itme. to .vars:./);
    await shot('02-quick-fix-menu');
    await page.keyboard.press('Enter');
    await shown('no unknown-placeholder error', (doc) => !codes(doc).includes(CODE), 30000);
    await page.waitForSelector('.monaco-editor .squiggly-error', { state: 'detached', timeout: 20000 });
    await shot('03-fixed');
    assert.equal(await saved(), TEXT.replace('menu_itme', 'menu_item'));
  });

  it('offers the file\'s variable after {{', async () => {
    const { page } = session;
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+End');
    await page.keyboard.type('Dish: {{');
    const row = '.suggest-widget.visible .monaco-list-row';
    await page.waitForFunction((selector) => Array.from(document.querySelectorAll(selector)).some((r) => r.textContent.includes('menu_item')), row, { timeout: 20000 });
    const labels = await page.locator(row).allInnerTexts();
    assert.ok(labels.some((label) => label.includes('menu_item')), labels.join(' | '));
    await shot('04-completion');
    await page.keyboard.press('Enter');
    const text = await saved();
    assert.match(text, /\nDish: \{\{menu_item\}\}$/, 'the name inserted inside the braces, closed once');
    await shown('no problem left', (doc) => codes(doc).length === 0, 30000);
    await shot('05-completed');
  });
});
