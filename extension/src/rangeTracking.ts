/**
 * Keeping painted ranges true to the text while it is edited: a range that an edit does not
 * touch moves with the text around it; a range an edit touches is dropped (its salience was
 * computed on text that no longer exists). Positions are LSP-style: line and UTF-16 character.
 *
 * Does not import `vscode`.
 */

import type { Position, Range } from './protocol';

/** One change as VS Code and LSP report it: `range` (in the text before) replaced by `text`. */
export interface TextChange {
  range: Range;
  text: string;
}

export function comparePositions(a: Position, b: Position): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

/** Whether `change` alters any character of `range` (an insertion at either edge does not). */
export function touches(range: Range, change: TextChange): boolean {
  const { start, end } = change.range;
  if (comparePositions(range.start, range.end) >= 0) {
    return false; // an empty range holds no text
  }
  const isInsertion = comparePositions(start, end) === 0;
  if (isInsertion) {
    return comparePositions(start, range.start) > 0 && comparePositions(start, range.end) < 0;
  }
  return comparePositions(start, range.end) < 0 && comparePositions(end, range.start) > 0;
}

/** Where the inserted text ends, in the text after the change. */
function insertedEnd(change: TextChange): Position {
  const lines = change.text.split(/\r\n|\r|\n/);
  const last = lines[lines.length - 1];
  if (lines.length === 1) {
    return { line: change.range.start.line, character: change.range.start.character + last.length };
  }
  return { line: change.range.start.line + lines.length - 1, character: last.length };
}

/** `position` (not inside the changed range) in the text after `change`. */
export function movePosition(position: Position, change: TextChange): Position {
  const { end } = change.range;
  if (comparePositions(position, end) < 0) {
    return position; // before the change (or at its start, for a position that is not after it)
  }
  const newEnd = insertedEnd(change);
  if (position.line === end.line) {
    return { line: newEnd.line, character: newEnd.character + (position.character - end.character) };
  }
  return { line: position.line + (newEnd.line - end.line), character: position.character };
}

/** The range after `change`, or undefined when the change touched its text. */
export function moveRange(range: Range, change: TextChange): Range | undefined {
  if (touches(range, change)) {
    return undefined;
  }
  if (comparePositions(range.end, change.range.start) <= 0) {
    return range; // wholly before the change
  }
  return { start: movePosition(range.start, change), end: movePosition(range.end, change) };
}

/** Ranges after a sequence of changes (each relative to the text left by the previous one). */
export function moveRanges(ranges: readonly Range[], changes: readonly TextChange[]): Range[] {
  let current: Range[] = [...ranges];
  for (const change of changes) {
    const next: Range[] = [];
    for (const range of current) {
      const moved = moveRange(range, change);
      if (moved !== undefined) {
        next.push(moved);
      }
    }
    current = next;
  }
  return current;
}
