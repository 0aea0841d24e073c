/**
 * End to end: an interpreter without the prompt-salience package gets a clear message with an
 * Install button (not a crash). The button is not clicked: it would pip-install into it.
 */

import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { missingPieces, REPO, type Session, startSession } from './codeServer';

const OUT = path.join(REPO, 'out', 'e2e', 'missing-package');
const BARE_PYTHON = '/usr/bin/python3';
const missing = missingPieces();

describe('Prompt Salience with an interpreter that lacks the package', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh` }, () => {
  let session: Session;

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    session = await startSession(path.join(OUT, 'logs'), { interpreter: BARE_PYTHON });
  });

  after(async () => {
    await session.stop();
  });

  it('says so, with Install, Choose interpreter and Show logs', async () => {
    const { page } = session;
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { timeout: 10000 });
    await page.keyboard.type('menu-fewshot-mistake.prompt');
    await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes('menu-fewshot-mistake.prompt')), undefined, { timeout: 15000 });
    await page.keyboard.press('Enter');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'does not have the prompt-salience package' });
    await toast.waitFor({ timeout: 60000 });
    const text = await toast.innerText();
    assert.match(text, new RegExp(`${BARE_PYTHON} does not have the prompt-salience package`));
    for (const button of ['Install', 'Choose interpreter', 'Show logs']) {
      assert.ok(await toast.locator('.monaco-button', { hasText: button }).count(), `button ${button}`);
    }
    await page.waitForFunction(() => document.querySelector('.statusbar')?.textContent.includes('Salience: server error'), undefined, { timeout: 10000 });
    await page.screenshot({ path: path.join(OUT, '01-install-offered.png') });
  });
});
