/// <reference lib="dom" />
/**
 * Times what a user waits for in the workbench, measured inside the page: from the user's
 * gesture (the last mousedown or keydown, stamped by a listener) to the frame in which the
 * salience decorations on the prompt (editor group 0) are painted, or painted differently.
 * Both ends use the page's own clock, and the paint is looked for at every animation frame,
 * so the figures hold to a frame (~17 ms). They are printed, never asserted on.
 */

import { writeFileSync } from 'node:fs';

import type { Page } from 'playwright-core';

import { SALIENCE_RGB } from './workbench';

interface ClockWindow {
  psGestureAt?: number;
  /** The painted signature of the prompt (see paintedSignature). */
  psPainted?: () => string;
  /** The current watch (a counter) and what it found. */
  psWatch?: number;
  psSecondsToPaint?: number;
}

/** Install the page's side (once per page): stamp every mousedown and keydown, in the capture
 * phase so before the workbench handles them, and the signature of what is painted. */
export async function armGestureClock(page: Page): Promise<void> {
  await page.evaluate((hues) => {
    const w = window as unknown as ClockWindow;
    if (w.psPainted !== undefined) {
      return;
    }
    // Each salience decoration on the prompt (group 0): its colour, left edge and width; not
    // its height on screen, since CodeLens rows that come and go move lines up and down.
    w.psPainted = () => {
      const container = document.querySelectorAll('.editor-group-container')[0] as Element | undefined;
      const found: string[] = [];
      for (const element of Array.from(container?.querySelectorAll('.monaco-editor .view-overlays .cdr') ?? [])) {
        const colour = getComputedStyle(element).backgroundColor;
        const r = element.getBoundingClientRect();
        if (hues.some((hue) => colour.includes(hue)) && r.width > 0 && r.height > 0) {
          found.push(`${colour}@${Math.round(r.x)}+${Math.round(r.width)}`);
        }
      }
      return found.sort().join('|');
    };
    const stamp = (): void => {
      w.psGestureAt = performance.now();
    };
    window.addEventListener('mousedown', stamp, true);
    window.addEventListener('keydown', stamp, true);
  }, SALIENCE_RGB);
}

/** What is painted on the prompt now ('' when nothing is). */
export function paintedSignature(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as ClockWindow).psPainted?.() ?? '');
}

/**
 * Watch every animation frame, from now on, for the first one whose painted signature is
 * non-empty and differs from `before` ('' waits for any paint) after a gesture; then make the
 * gesture. Watching starts before the gesture, so a paint within a frame is caught too.
 */
export async function watchForPaint(page: Page, before: string): Promise<void> {
  await page.evaluate((previous) => {
    const w = window as unknown as ClockWindow;
    w.psGestureAt = undefined;
    w.psSecondsToPaint = undefined;
    const watch = w.psWatch = (w.psWatch ?? 0) + 1;
    const check = (): void => {
      if (w.psWatch !== watch) {
        return; // a newer watch took over
      }
      const now = w.psPainted?.() ?? '';
      if (w.psGestureAt !== undefined && now !== '' && now !== previous) {
        w.psSecondsToPaint = (performance.now() - w.psGestureAt) / 1000;
        return;
      }
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }, before);
}

/** Seconds from the last gesture to the paint that `watchForPaint` waits for. */
export async function secondsToPaint(page: Page, timeoutMs: number): Promise<number> {
  const handle = await page.waitForFunction(() => (window as unknown as ClockWindow).psSecondsToPaint ?? false, undefined, { timeout: timeoutMs });
  return (await handle.jsonValue()) as number;
}

export interface Timing {
  what: string;
  seconds: number;
  note: string;
}

/** The timings as a table (and the ratio of each to `baseline`'s row, when there is one). */
export function timingTable(timings: Timing[], baseline: string): string {
  const base = timings.find((t) => t.what === baseline)?.seconds;
  const width = Math.max(...timings.map((t) => t.what.length), 4);
  const lines = [`${'what'.padEnd(width)} | seconds | vs ${baseline} | note`];
  for (const t of timings) {
    const ratio = base === undefined ? '-' : (t.seconds / base).toFixed(2);
    lines.push(`${t.what.padEnd(width)} | ${t.seconds.toFixed(3).padStart(7)} | ${ratio.padStart(baseline.length + 3)} | ${t.note}`);
  }
  return lines.join('\n');
}

/** Print the table and write the timings (with when and where) as JSON to `file`. */
export function reportTimings(timings: Timing[], baseline: string, file: string, facts: Record<string, unknown>): void {
  const table = timingTable(timings, baseline);
  console.log(`\nEditor timings (click to paint, measured in the page; printed, never asserted):\n${table}\n`);
  writeFileSync(file, JSON.stringify({ ...facts, baseline, timings, table }, null, 1));
}
