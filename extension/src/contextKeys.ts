/**
 * The context keys the manifest's `when` clauses read, so that the palette offers a command
 * only where it applies: `promptSalience.hasResult` (a current result is shown: export, legend,
 * clear) and `promptSalience.hasComparison` (a comparison is shown: its export and toggle).
 * Whether the response view has the focus needs no key of ours: `resourceScheme` says it.
 */

import * as vscode from 'vscode';

import type { SalienceController } from './controller';

export const HAS_RESULT = 'promptSalience.hasResult';
export const HAS_COMPARISON = 'promptSalience.hasComparison';

export function trackContextKeys(controller: SalienceController): vscode.Disposable {
  const last = new Map<string, boolean>();
  const set = (key: string, value: boolean): void => {
    if (last.get(key) !== value) {
      last.set(key, value);
      void vscode.commands.executeCommand('setContext', key, value);
    }
  };
  const update = (): void => {
    set(HAS_RESULT, controller.currentResult() !== undefined);
    set(HAS_COMPARISON, controller.shownComparison() !== undefined);
  };
  update();
  // Results come and go with the response views (shown, marked stale), the focus, and edits;
  // comparisons open and close their diff editors.
  return vscode.Disposable.from(
    controller.views.onDidChange(update),
    vscode.window.onDidChangeActiveTextEditor(update),
    vscode.window.onDidChangeVisibleTextEditors(update),
    vscode.workspace.onDidChangeTextDocument(update),
  );
}
