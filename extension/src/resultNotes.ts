/**
 * A result's notes (numbers keyed as the engine names them) and notices (sentences the server
 * wrote for people, e.g. how complete integrated gradients' scores are), read from the wire.
 * The server decides what a notice says and whether it is a warning; the editor only draws it.
 * Does not import `vscode`.
 */

import { array, boolean, object, string } from './checkedJson';

/** A sentence to show with a result, as the server wrote it; `warning`: drawn as a warning. */
export interface ResultNotice {
  text: string;
  warning: boolean;
}

export function parseNotes(value: unknown, where: string): Record<string, number> {
  if (value === undefined || value === null) {
    return {};
  }
  const o = object(value, where);
  const notes: Record<string, number> = {};
  for (const [key, note] of Object.entries(o)) {
    if (typeof note === 'number') {
      notes[key] = note;
    }
  }
  return notes;
}

function parseNotice(value: unknown, where: string): ResultNotice {
  const o = object(value, where);
  return { text: string(o, 'text', where), warning: boolean(o, 'warning', where) };
}

/** The result's notices (none when an older server sends none). */
export function parseNotices(o: Record<string, unknown>, where: string): ResultNotice[] {
  return o.notices === undefined || o.notices === null ? [] : array(o, 'notices', where, parseNotice);
}
