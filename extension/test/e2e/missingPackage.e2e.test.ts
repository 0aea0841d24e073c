/**
 * End to end: an interpreter without the prompt-salience package gets a clear message with an
 * Install button (not a crash).
 * - Chosen in the settings: the button is not clicked (it would pip-install into it).
 * - Found, not chosen (a bare python3 on PATH): Install makes the extension's own environment in
 *   its global storage, installs there (from the .vsix's wheel, TensorFlow-free) and the server
 *   starts from it; the system Python is left as it was.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { missingPieces, REPO, type Session, startSession } from './codeServer';

async function openMenuPrompt(session: Session): Promise<void> {
  const { page } = session;
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { timeout: 10000 });
  await page.keyboard.type('menu-fewshot-mistake.prompt');
  await page.waitForFunction(() => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes('menu-fewshot-mistake.prompt')), undefined, { timeout: 15000 });
  await page.keyboard.press('Enter');
}

/** Every file named `name` under `folder` (a few levels down). */
function findAll(folder: string, name: string, depth = 6): string[] {
  if (depth === 0 || !existsSync(folder)) {
    return [];
  }
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(folder, entry.name);
    return entry.name === name ? [full] : entry.isDirectory() && !entry.isSymbolicLink() ? findAll(full, name, depth - 1) : [];
  });
}

function hasPackage(python: string): boolean {
  try {
    execFileSync(python, ['-c', 'import prompt_salience'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

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
    await openMenuPrompt(session);
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'does not have the prompt-salience package' });
    await toast.waitFor({ timeout: 60000 });
    const text = await toast.innerText();
    assert.match(text, new RegExp(`${BARE_PYTHON} does not have the prompt-salience package. Install it into this interpreter\\?`));
    for (const button of ['Install', 'Choose interpreter', 'Show logs']) {
      assert.ok(await toast.locator('.monaco-button', { hasText: button }).count(), `button ${button}`);
    }
    await page.waitForFunction(() => document.querySelector('.statusbar')?.textContent.includes('Salience: server error'), undefined, { timeout: 10000 });
    await page.screenshot({ path: path.join(OUT, '01-install-offered.png') });
  });

  it("Install into the system Python (PEP 668) says so and offers the extension's own environment", { timeout: 600000 }, async () => {
    const { page } = session;
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'does not have the prompt-salience package' });
    await toast.locator('.monaco-button', { hasText: 'Install' }).first().click();
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'managed by the system (PEP 668)' });
    await dialog.waitFor({ timeout: 60000 });
    await page.screenshot({ path: path.join(OUT, '02-pep668-own-environment-offered.png') });
    await dialog.locator('.monaco-button', { hasText: 'Use own environment' }).click();
    await session.waitForState('the server to start from the new environment', (s) => s.serverState === 'running', 540000);
    const made = findAll(session.run, 'python-env').filter((folder) => folder.includes('globalStorage'));
    assert.equal(made.length, 1, `one environment in the global storage: ${made.join(', ')}`);
    assert.equal(hasPackage(BARE_PYTHON), false, 'nothing was installed into the system Python');
  });
});

describe("Install with no interpreter chosen: the extension's own environment", { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh` }, () => {
  let session: Session;
  const out = path.join(OUT, 'own-environment');

  before(async () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(path.join(out, 'bin'), { recursive: true });
    symlinkSync(BARE_PYTHON, path.join(out, 'bin', 'python3')); // the python3 found on PATH
    session = await startSession(path.join(out, 'logs'), { interpreter: null, pathFirst: path.join(out, 'bin') });
  });

  after(async () => {
    await session.stop();
  });

  it('installs there, starts the server from it, and leaves the system Python alone', { timeout: 600000 }, async () => {
    const { page } = session;
    assert.equal(hasPackage(BARE_PYTHON), false, 'the system Python starts without the package');
    await openMenuPrompt(session);
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'does not have the prompt-salience package' });
    await toast.waitFor({ timeout: 60000 });
    assert.match(await toast.innerText(), /Install it into an environment of its own \(.*python-env\)\?/);
    await page.screenshot({ path: path.join(out, '01-own-environment-offered.png') });
    await toast.locator('.monaco-button', { hasText: 'Install' }).first().click();
    await session.waitForState('the server to start from the new environment', (s) => s.serverState === 'running', 540000);
    await page.screenshot({ path: path.join(out, '02-installed-and-running.png') });
    const made = findAll(session.run, 'python-env').filter((folder) => folder.includes('globalStorage'));
    assert.equal(made.length, 1, `one environment in the global storage: ${made.join(', ')}`);
    assert.ok(hasPackage(path.join(made[0], 'bin', 'python')), 'the package is in the new environment');
    assert.equal(hasPackage(BARE_PYTHON), false, 'nothing was installed into the system Python');
    const servers = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes('prompt_salience.server'));
    assert.ok(servers.some((line) => line.startsWith(path.join(made[0], 'bin', 'python'))), `the server runs from the new environment: ${servers.join(' | ')}`);
  });
});
