/// <reference lib="dom" />
/**
 * Reading and driving the VS Code workbench in the page (code-server, headless Chromium): the
 * salience decorations and text on screen, CodeLenses, the command palette and quick open.
 * Shared by the end-to-end tests.
 */

import type { Page } from 'playwright-core';

/** The salience hues of the default theme (colour_scale.py's), as CSS rgb() prefixes. */
export const SALIENCE_RGB = ['124, 58, 237', '234, 88, 12', '37, 99, 235'];

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface Decoration {
  colour: string;
  box: Box;
}

/** Salience decorations (our hues only) drawn in editor group `group` (0 = left). */
export function decorations(page: Page, group: number): Promise<Decoration[]> {
  return page.evaluate(
    ([groupIndex, hues]) => {
      const container = document.querySelectorAll('.editor-group-container')[groupIndex] as Element | undefined;
      if (!container) {
        return [];
      }
      const found: { colour: string; box: { x: number; y: number; w: number; h: number } }[] = [];
      for (const element of Array.from(container.querySelectorAll('.monaco-editor .view-overlays .cdr'))) {
        const colour = getComputedStyle(element).backgroundColor;
        if (hues.some((hue) => colour.includes(hue))) {
          const r = element.getBoundingClientRect();
          if (r.width > 0 && r.height > 0) {
            found.push({ colour, box: { x: r.x, y: r.y, w: r.width, h: r.height } });
          }
        }
      }
      return found;
    },
    [group, SALIENCE_RGB] as const,
  );
}

/** Where `needle` is drawn in editor group `group` (spaces match the editor's NBSPs). */
export function textBox(page: Page, group: number, needle: string): Promise<Box | null> {
  return page.evaluate(
    ([groupIndex, text]) => {
      const container = document.querySelectorAll('.editor-group-container')[groupIndex] as Element | undefined;
      if (!container) {
        return null;
      }
      for (const line of Array.from(container.querySelectorAll('.monaco-editor .view-lines .view-line'))) {
        const nodes: Text[] = [];
        const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          nodes.push(node as Text);
        }
        const whole = nodes.map((n) => n.data).join('').replace(/\u00a0/g, ' ');
        const at = whole.indexOf(text);
        if (at < 0) {
          continue;
        }
        const locate = (offset: number): [Text, number] => {
          let rest = offset;
          for (const node of nodes) {
            if (rest <= node.data.length) {
              return [node, rest];
            }
            rest -= node.data.length;
          }
          const last = nodes[nodes.length - 1];
          return [last, last.data.length];
        };
        const range = document.createRange();
        range.setStart(...locate(at));
        range.setEnd(...locate(at + text.length));
        const r = range.getBoundingClientRect();
        return { x: r.x, y: r.y, w: r.width, h: r.height };
      }
      return null;
    },
    [group, needle] as const,
  );
}

export function overlaps(a: Box, b: Box): boolean {
  const dx = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const dy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return dx > 2 && dy > 2;
}

const LENS = '.monaco-editor .contentWidgets .codelens-decoration a';

/** Wait for a CodeLens by the start of its text (CodeLens elements are re-rendered: poll the page). */
export async function waitForLens(page: Page, prefix: string, timeoutMs: number): Promise<void> {
  await page.waitForFunction(([selector, text]) => Array.from(document.querySelectorAll(selector)).some((a) => a.textContent.startsWith(text)), [LENS, prefix] as const, { timeout: timeoutMs });
}

export async function clickLens(page: Page, prefix: string, timeoutMs: number): Promise<void> {
  await waitForLens(page, prefix, timeoutMs);
  await page.locator(LENS, { hasText: prefix }).first().click();
}

/** The titles of the CodeLenses on screen. */
export function lensTitles(page: Page): Promise<string[]> {
  return page.evaluate((selector) => Array.from(document.querySelectorAll(selector)).map((a) => a.textContent), LENS);
}

/** Run a command by its title from the command palette. */
export async function command(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget:not([style*="display: none"]) input', { timeout: 10000 });
  await page.keyboard.type(title);
  await page.waitForFunction((t) => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes(t)), title, { timeout: 10000 });
  await page.keyboard.press('Enter');
}

/** Open a workspace file by name (quick open). */
export async function openFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { timeout: 10000 });
  await page.keyboard.type(name);
  await page.waitForFunction((file) => Array.from(document.querySelectorAll('.quick-input-list .monaco-list-row')).some((row) => row.textContent.includes(file)), name, { timeout: 15000 });
  await page.keyboard.press('Enter');
}
