/**
 * Which case the cursor is in, from the server's `Run and explain` lenses: each sits on its
 * case's first line (a `- name:` item of `cases:`, a dataset record, or the body for a file
 * with one case). No `vscode` here, so `node --test` covers it.
 */

export interface CaseLine {
  case: string;
  /** The line of the case's lens (0-based). */
  line: number;
}

function indentOf(text: string): number {
  return text.length - text.trimStart().length;
}

/** The case whose block holds `cursorLine`: its lens line, then the lines indented deeper
 * than it (blank lines and comments included), up to the next line indented as much or less.
 * A file with one case always gives it; a line outside every block gives undefined. */
export function caseAtLine(lines: readonly string[], cases: readonly CaseLine[], cursorLine: number): string | undefined {
  if (cases.length === 1) {
    return cases[0].case;
  }
  for (const { case: name, line } of cases) {
    if (line === cursorLine) {
      return name;
    }
  }
  const before = cases.filter((c) => c.line < cursorLine).sort((a, b) => b.line - a.line).at(0);
  if (before === undefined) {
    return undefined;
  }
  const depth = indentOf(lines.at(before.line) ?? '');
  for (let line = before.line + 1; line <= cursorLine; line += 1) {
    const text = lines.at(line) ?? '';
    if (text.trim() !== '' && !text.trimStart().startsWith('#') && indentOf(text) <= depth) {
      return undefined;
    }
  }
  return before.case;
}
