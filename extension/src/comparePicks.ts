/**
 * "Compare with…": the pure choices behind the command (comparisonCommands.ts). Which prompt
 * files the user may pick, and which case a `promptSalience.run` CodeLens runs. Does not import
 * `vscode`.
 */

import { parseCaseParams } from './protocol';

/** A workspace file found by `findFiles`: its URI and its path relative to the workspace. */
export interface FoundFile {
  uri: string;
  relative: string;
}

export interface PromptFilePick {
  /** The file's name (what the user types to filter). */
  label: string;
  /** Its folder relative to the workspace (absent at the top). */
  description?: string;
  uri: string;
}

/** The prompt files to compare with: every one found but the active one, sorted by path. */
export function otherPromptPicks(activeUri: string, found: readonly FoundFile[]): PromptFilePick[] {
  return found
    .filter((file) => file.uri !== activeUri)
    .map((file) => {
      const relative = file.relative.replace(/\\/g, '/');
      const slash = relative.lastIndexOf('/');
      const pick: PromptFilePick = { label: relative.slice(slash + 1), uri: file.uri };
      if (slash > 0) {
        pick.description = relative.slice(0, slash);
      }
      return pick;
    })
    .sort((a, b) => (a.description ?? '').localeCompare(b.description ?? '') || a.label.localeCompare(b.label));
}

/** The case a run lens's arguments name (undefined: none, or not a CaseParams). */
export function caseOfRunArguments(args: readonly unknown[] | undefined): string | undefined {
  if (args === undefined || args.length === 0) {
    return undefined;
  }
  try {
    return parseCaseParams(args[0]).case ?? undefined;
  } catch {
    return undefined;
  }
}
