/// <reference lib="dom" />
/**
 * End to end, in code-server with the real server and model: the menu prompt is run once, then
 * shown in the light, dark and high-contrast themes (`workbench.colorTheme` set through the VS
 * Code API). In each theme the salience painted on the prompt and in the response view must
 * stand out from the editor's background: each decoration's colour, composited over the
 * background as the editor draws it, differs from it. The theme colours' own defaults apply in
 * each theme (the high-contrast ones are stronger). Screenshots go to out/e2e/themes/; the
 * README's come from there (docs/images/).
 */

import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { Page } from 'playwright-core';

import { type HelperState, missingPieces, REPO, type Session, startSession, waitFor } from './codeServer';
import * as ui from './workbench';
import { decorations, textBox } from './workbench';

const OUT = path.join(REPO, 'out', 'e2e', 'themes');
const PROMPT = 'menu-fewshot-mistake.prompt';
const RUN_TIMEOUT_MS = 8 * 60 * 1000; // first run: JAX import, model load, compilation
/** The least difference, in 0..255 on some channel, that a painted colour keeps from the background. */
const LEAST_DIFFERENCE = 6;
const THEMES = [ // in this order, each background differs from the one before
  { name: 'Default Light Modern', file: 'light' },
  { name: 'Default Dark Modern', file: 'dark' },
  { name: 'Default High Contrast', file: 'high-contrast' },
  { name: 'Default High Contrast Light', file: 'high-contrast-light' },
];

type Rgba = [number, number, number, number];

/** `rgb(r, g, b)`, `rgba(r, g, b, a)` or `#rrggbb[aa]` as numbers (alpha 0..1). */
function parseColour(css: string): Rgba {
  const hex = /^#([0-9a-f]{6})([0-9a-f]{2})?$/i.exec(css.trim());
  if (hex) {
    const channel = (i: number): number => parseInt(hex[1].slice(i, i + 2), 16);
    const alpha = hex[2] as string | undefined; // the group is optional
    return [channel(0), channel(2), channel(4), alpha === undefined ? 1 : parseInt(alpha, 16) / 255];
  }
  const [r, g, b, a = 1] = (css.match(/[\d.]+/g) ?? []).map(Number);
  return [r, g, b, a];
}

/** The colour `top` makes drawn over the opaque `bottom`, and how far it is from `bottom`. */
function difference(top: Rgba, bottom: Rgba): number {
  const alpha = top[3];
  return Math.max(...[0, 1, 2].map((i) => Math.abs(alpha * top[i] + (1 - alpha) * bottom[i] - bottom[i])));
}

/** The editor background of the current theme (the workbench's CSS variable). */
function editorBackground(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.querySelector('.monaco-workbench') as Element).getPropertyValue('--vscode-editor-background').trim());
}

function shownPrompt(state: HelperState): HelperState['shown'][number] | undefined {
  return state.shown.find((s) => s.uri.endsWith(PROMPT));
}

interface ThemeFinding {
  theme: string;
  background: string;
  colours: string[];
  leastDifference: number;
}

const missing = missingPieces();

describe('Salience colours in the light, dark and high-contrast themes', { skip: missing.length > 0 && `missing ${missing.join(', ')}: run scripts/setup.sh --e2e` }, () => {
  let session: Session;
  let page: Page;
  const findings: ThemeFinding[] = [];

  before(async () => {
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    session = await startSession(path.join(OUT, 'logs'), { settings: { 'promptSalience.prefetchSpans': false, 'promptSalience.rescoreOnEdit': false } });
    page = session.page;
  });

  after(async () => {
    writeFileSync(path.join(OUT, 'themes.json'), JSON.stringify(findings, null, 1));
    await session.stop();
  });

  it('runs the menu prompt once', async () => {
    await page.locator('.monaco-workbench').click({ position: { x: 800, y: 500 } });
    await ui.openFile(page, PROMPT);
    await ui.clickLens(page, '\u25b6 Run and explain', 120000);
    await session.waitForState('the run', (s) => shownPrompt(s)?.result != null, RUN_TIMEOUT_MS);
    await waitFor('the response view', () => textBox(page, 1, 'Recommendation:').then((b) => b ?? undefined), 20000);
    // More room for the two editors in the screenshots.
    if (await page.locator('.part.sidebar').isVisible()) {
      await page.keyboard.press('Control+B');
    }
  });

  for (const theme of THEMES) {
    it(`paints colours that stand out from the background in ${theme.name}`, async () => {
      const before = await editorBackground(page);
      await session.setSetting('workbench.colorTheme', theme.name);
      // Each theme's background differs from the one before it (the session starts in Dark Modern).
      await waitFor(`the ${theme.name} background`, () => editorBackground(page).then((bg) => (bg !== before ? bg : undefined)), 20000);
      await page.waitForTimeout(800); // the editors repaint with the new theme's colours
      const background = await editorBackground(page);
      const painted = [...(await decorations(page, 0)), ...(await decorations(page, 1))];
      await page.screenshot({ path: path.join(OUT, `${theme.file}.png`) });
      await page.locator('.part.editor').screenshot({ path: path.join(OUT, `${theme.file}-editors.png`) });
      assert.ok(painted.length >= 8, `the prompt and the response view are painted in ${theme.name}`);
      const colours = [...new Set(painted.map((d) => d.colour))].sort();
      const least = Math.min(...colours.map((c) => difference(parseColour(c), parseColour(background))));
      findings.push({ theme: theme.name, background, colours, leastDifference: Math.round(least) });
      console.log(`  ${theme.name}: background ${background}, ${colours.length} colours, least difference ${least.toFixed(1)}`);
      assert.ok(least >= LEAST_DIFFERENCE, `in ${theme.name} every painted colour differs from the background ${background}: ${colours.join(' ')}`);
    });
  }

  it('uses each theme kind\'s own colours (stronger in high contrast)', () => {
    const of = (name: string): ThemeFinding | undefined => findings.find((f) => f.theme === name);
    const dark = of('Default Dark Modern');
    const contrast = of('Default High Contrast');
    assert.ok(dark && contrast, 'both themes were checked');
    const alphas = (f: ThemeFinding): number => Math.max(...f.colours.map((c) => parseColour(c)[3]));
    assert.ok(alphas(contrast) > alphas(dark), `high contrast ${contrast.colours.join(' ')} vs dark ${dark.colours.join(' ')}`);
  });
});
