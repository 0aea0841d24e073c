/**
 * End to end, in code-server with workspace trust on and the folder left untrusted (restricted
 * mode): a prompt file's front-matter `model:` is not used (the run reports the settings' model),
 * and a warning on that line says why. Then trust is granted (Manage Workspace Trust): the
 * warning goes and the file's model runs. Same weights under two labels. And with an interpreter
 * that lacks the package, no Install button is offered in an untrusted workspace.
 */

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { type HelperState, missingPieces, REPO, type Session, startSession } from './codeServer';
import * as ui from './workbench';

const OUT = path.join(REPO, 'out', 'e2e', 'untrusted');
const FILE = 'untrusted-model.prompt';
const TEXT = '---\nmodel: filemodel:gemma3_270m\n---\nSuggestion: onion soup\nAnalysis:\n';
const IGNORED = 'untrusted-front-matter';
const RUN_TIMEOUT_MS = 600000; // a model load on a busy 2-core machine
const missing = missingPieces();

type Shown = HelperState['shown'][number];

describe('Prompt Salience in an untrusted workspace', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh` }, () => {
  let session: Session;
  const shot = (name: string): Promise<Buffer> => session.page.screenshot({ path: path.join(OUT, `${name}.png`) });
  const shown = (what: string, check: (doc: Shown) => boolean, timeoutMs: number): Promise<Shown> =>
    session
      .waitForState(what, (state) => state.shown.some((doc) => doc.uri.endsWith(FILE) && check(doc)), timeoutMs)
      .then((state) => state.shown.find((doc) => doc.uri.endsWith(FILE) && check(doc)) as Shown);

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    session = await startSession(path.join(OUT, 'logs'), {
      untrusted: true,
      settings: { 'promptSalience.model': 'settingsmodel:gemma3_270m', 'promptSalience.maxNewTokens': 2, 'promptSalience.prefetchSpans': false, 'promptSalience.rescoreOnEdit': false },
    });
    writeFileSync(path.join(session.workspace, 'prompts', FILE), TEXT);
  });

  after(async () => {
    await session.stop();
  });

  it('ignores the file\'s model: with a warning on its line, and runs the settings\' model', async () => {
    const { page } = session;
    await ui.openFile(page, FILE);
    const opened = await shown('the untrusted-model warning', (doc) => (doc.diagnostics ?? []).some((d) => d.code === IGNORED), 120000);
    assert.equal(session.state()?.trusted, false, 'the folder is untrusted');
    const warning = (opened.diagnostics ?? []).find((d) => d.code === IGNORED);
    assert.ok(warning);
    assert.equal(warning.line, 1, 'on the model: line');
    assert.equal(warning.severity, 1, 'a warning');
    assert.match(warning.message, /workspace is not trusted/);
    assert.match(warning.message, /Manage Workspace Trust/);
    await page.waitForSelector('.monaco-editor .squiggly-warning', { timeout: 10000 });
    await shot('01-warning');
    await ui.clickLens(page, '\u25b6 Run and explain', 120000);
    const ran = await shown('a result', (doc) => doc.result !== null, RUN_TIMEOUT_MS);
    assert.equal(ran.result?.model, 'settingsmodel');
    await shot('02-settings-model-ran');
  });

  it('once trusted, the warning goes and the file\'s model runs', async () => {
    const { page } = session;
    await ui.command(page, 'Workspaces: Manage Workspace Trust');
    const trust = page.locator('.workspace-trust-editor .monaco-button', { hasText: /^Trust$/ }).first();
    await trust.waitFor({ timeout: 20000 });
    await shot('03-manage-trust');
    await trust.click();
    await session.waitForState('the workspace trusted', (state) => state.trusted === true, 30000);
    await shot('04-trusted');
    // The trust editor is modal: close it by its own close button.
    await page.locator('.monaco-modal-editor-block .codicon-close').first().click({ timeout: 10000 });
    await page.locator('.monaco-modal-editor-block').waitFor({ state: 'hidden', timeout: 10000 });
    await ui.openFile(page, FILE);
    await shown('no untrusted-model warning', (doc) => !(doc.diagnostics ?? []).some((d) => d.code === IGNORED), 60000);
    await ui.clickLens(page, '\u25b6 Run and explain', 60000);
    const ran = await shown('a result of the file\'s model', (doc) => doc.result?.model === 'filemodel', RUN_TIMEOUT_MS);
    assert.equal(ran.result?.model, 'filemodel');
    await shot('05-file-model-ran');
  });
});

describe('An untrusted workspace with an interpreter that lacks the package', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh` }, () => {
  let session: Session;

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    session = await startSession(path.join(OUT, 'logs-install'), { untrusted: true, interpreter: '/usr/bin/python3' });
  });

  after(async () => {
    await session.stop();
  });

  it('offers no Install button, and says how to install from a trusted workspace', async () => {
    const { page } = session;
    await ui.openFile(page, 'menu-fewshot-mistake.prompt');
    const toast = page.locator('.notifications-toasts .notification-list-item', { hasText: 'does not have the prompt-salience package' });
    await toast.waitFor({ timeout: 60000 });
    assert.match(await toast.innerText(), /not trusted.*Manage Workspace Trust/s);
    assert.equal(await toast.locator('.monaco-button', { hasText: /^Install$/ }).count(), 0);
    assert.ok(await toast.locator('.monaco-button', { hasText: 'Choose interpreter' }).count());
    await page.screenshot({ path: path.join(OUT, '06-no-install-untrusted.png') });
  });
});
