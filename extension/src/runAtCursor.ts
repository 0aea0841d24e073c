/**
 * "Run and Explain" (Ctrl/Cmd+Enter in a prompt file, the editor title's ▶, the palette): runs
 * one case through its own `Run and explain` CodeLens, so the server's route (progress,
 * Cancel, the response view) is the lens's. The case is the one under the cursor; elsewhere
 * (the body of a file with several cases) the case shown on the file, else the user's pick.
 */

import * as vscode from 'vscode';

import { caseAtLine } from './caseAtCursor';
import { caseOfRunArguments } from './comparePicks';
import { isPromptDocument, type SalienceController } from './controller';
import { RUN_COMMAND } from './protocol';

/** The prompt editor a gesture means (the active one, else a visible one), given the focus:
 * a walkthrough's button is clicked while the walkthrough has it, and the response view and
 * the comparison open beside the focused group, so beside the prompt and not over it. */
export async function focusPromptEditor(): Promise<vscode.TextEditor | undefined> {
  const active = vscode.window.activeTextEditor;
  const editor = active !== undefined && isPromptDocument(active.document) ? active : vscode.window.visibleTextEditors.find((e) => isPromptDocument(e.document));
  return editor && vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, selection: editor.selection, preview: false });
}

/** The server's run lenses of `document` with their case and line. */
async function runLenses(document: vscode.TextDocument): Promise<{ command: vscode.Command; case: string | undefined; line: number }[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[] | undefined>('vscode.executeCodeLensProvider', document.uri)) ?? [];
  return lenses
    .filter((l) => l.command?.command === RUN_COMMAND)
    .map((l) => ({ command: l.command as vscode.Command, case: caseOfRunArguments(l.command?.arguments), line: l.range.start.line }));
}

export async function runAndExplain(controller: SalienceController, uri?: vscode.Uri): Promise<void> {
  const editor = await focusPromptEditor();
  const document = uri !== undefined ? await vscode.workspace.openTextDocument(uri) : editor?.document;
  if (document === undefined || !isPromptDocument(document)) {
    void vscode.window.showInformationMessage('Open a .prompt file (or a LIT .jsonl dataset) to run it.');
    return;
  }
  const runs = await runLenses(document);
  if (runs.length === 0) {
    void vscode.window.showWarningMessage('Nothing to run here yet: fix the problems shown in the file (or wait for the server to start).');
    return;
  }
  const cursor = editor?.document === document ? editor.selection.active.line : undefined;
  const named = runs.filter((r): r is typeof r & { case: string } => r.case !== undefined);
  const lines = document.getText().split(/\r?\n/);
  const atCursor = cursor === undefined ? undefined : caseAtLine(lines, named, cursor);
  const shown = controller.activeCase()?.case;
  const chosen = runs.length === 1 ? runs[0] : runs.find((r) => r.case === (atCursor ?? shown));
  const picked = chosen?.command ?? (await vscode.window.showQuickPick(runs.map((r) => ({ label: r.command.title, command: r.command })), { title: 'Run which case?' }))?.command;
  if (chosen === undefined && picked !== undefined) {
    await focusPromptEditor(); // the pick's focus went back where it came from
  }
  if (picked !== undefined) {
    await vscode.commands.executeCommand(picked.command, ...((picked.arguments ?? []) as unknown[]));
  }
}
