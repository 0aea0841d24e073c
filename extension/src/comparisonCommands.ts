/**
 * The comparison commands beyond the CodeLens: "Compare with…" another prompt file of the
 * workspace (both files run the case if they lack a result, through the CodeLens's own route,
 * then `promptSalience.compare` with `otherUri` shows the comparison view), and the export of
 * the comparison shown as the server's self-contained HTML page.
 */

import * as vscode from 'vscode';

import { caseOfRunArguments, otherPromptPicks } from './comparePicks';
import { COMPARE_COMMAND, COMPARISON_REPORT_REQUEST, type CompareParams } from './comparisonProtocol';
import { isPromptDocument, type SalienceController } from './controller';
import { saveHtmlReport } from './exportReport';
import { parseOptionalReport, RUN_COMMAND } from './protocol';
import type { SalienceServer } from './server';

/** The server's `▶ Run and explain` lenses of a document (one per case). */
export async function runLenses(document: vscode.TextDocument): Promise<vscode.Command[]> {
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[] | undefined>('vscode.executeCodeLensProvider', document.uri)) ?? [];
  return lenses.map((l) => l.command).filter((c): c is vscode.Command => c?.command === RUN_COMMAND);
}

/** The case to compare: the one shown on the document, else the user's pick among its cases. */
async function chooseCase(controller: SalienceController, document: vscode.TextDocument): Promise<string | undefined> {
  const shown = controller.activeCase()?.case;
  if (shown !== undefined) {
    return shown;
  }
  const runs = (await runLenses(document)).filter((c) => caseOfRunArguments(c.arguments) !== undefined);
  if (runs.length === 0) {
    void vscode.window.showWarningMessage('No case to compare here yet: fix the problems shown in the file (or wait for the server to start).');
    return undefined;
  }
  const picked = runs.length === 1 ? runs[0] : (await vscode.window.showQuickPick(runs.map((c) => ({ label: c.title, command: c })), { title: 'Compare which case?' }))?.command;
  return picked === undefined ? undefined : caseOfRunArguments(picked.arguments);
}

/** "Compare with…": the active prompt's case against the same case of another prompt file. */
export async function compareWithFile(controller: SalienceController): Promise<void> {
  const document = vscode.window.activeTextEditor?.document;
  if (document === undefined || !isPromptDocument(document)) {
    void vscode.window.showInformationMessage('Open a .prompt file to compare one of its cases with another prompt file.');
    return;
  }
  const caseName = await chooseCase(controller, document);
  if (caseName === undefined) {
    return;
  }
  const uri = document.uri.toString();
  const found = await vscode.workspace.findFiles('**/*.prompt', '**/node_modules/**');
  const picks = otherPromptPicks(uri, found.map((file) => ({ uri: file.toString(), relative: vscode.workspace.asRelativePath(file) })));
  if (picks.length === 0) {
    void vscode.window.showInformationMessage('There is no other .prompt file in the workspace to compare with.');
    return;
  }
  const picked = await vscode.window.showQuickPick(picks, { title: `Compare case ${caseName} with the same case of which prompt file?`, matchOnDescription: true });
  if (picked === undefined) {
    return;
  }
  const other = await vscode.workspace.openTextDocument(vscode.Uri.parse(picked.uri));
  await vscode.window.showTextDocument(other, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
  // Each side needs a current result of the case: run it where there is none, as its CodeLens
  // does (painted with its own salience). A failed run has shown the server's message.
  for (const side of [uri, picked.uri]) {
    if ((await controller.fetchResult({ uri: side, case: caseName })) === null) {
      const ran = await vscode.commands.executeCommand(RUN_COMMAND, { uri: side, case: caseName });
      if (ran === undefined || ran === null) {
        return;
      }
    }
  }
  const params: CompareParams = { uri, case: caseName, otherUri: picked.uri };
  await vscode.commands.executeCommand(COMPARE_COMMAND, params);
}

/** Export the comparison shown as the server's HTML page (no new run). */
export async function exportComparison(controller: SalienceController, server: SalienceServer, output: vscode.LogOutputChannel): Promise<void> {
  const shown = controller.shownComparison();
  const client = server.client;
  if (shown === undefined || client === undefined) {
    void vscode.window.showInformationMessage('No comparison is shown: compare first (the \u201cCompare with the pinned answer\u201d CodeLens, or Prompt Salience: Compare with\u2026).');
    return;
  }
  const report = parseOptionalReport(await client.sendRequest(COMPARISON_REPORT_REQUEST, { uri: shown.uri, case: shown.case }));
  if (report === null) {
    void vscode.window.showInformationMessage('This comparison is no longer available on the server: compare again, then export.');
    return;
  }
  await saveHtmlReport(report, shown.uri, 'Export the comparison report', output);
}
