/**
 * Export HTML report: the engine's own self-contained report of the result on screen. The
 * server makes it from that very result (`promptSalience/report`), so nothing runs again and
 * the report always matches what the user sees. `saveHtmlReport` is the save dialog and the
 * write, shared with the comparison's export (comparisonCommands.ts).
 */

import * as path from 'node:path';

import * as vscode from 'vscode';

import type { CaseParams, ExplanationResult, HtmlReport } from './protocol';

export async function exportHtmlReport(
  result: ExplanationResult,
  fetchReport: (params: CaseParams) => Promise<HtmlReport | null>,
  output: vscode.LogOutputChannel,
): Promise<void> {
  const report = await fetchReport({ uri: result.uri, case: result.case });
  if (report === null) {
    void vscode.window.showInformationMessage('This result is no longer current (the prompt changed): run and explain it again, then export.');
    return;
  }
  await saveHtmlReport(report, result.uri, 'Export the salience report', output);
}

/** Ask where to save `report` (proposed beside the prompt `promptUri`, else in the first
 * workspace folder), write it, and offer to open it. */
export async function saveHtmlReport(report: HtmlReport, promptUri: string, title: string, output: vscode.LogOutputChannel): Promise<void> {
  const prompt = vscode.Uri.parse(promptUri);
  const folder = prompt.scheme === 'file' ? path.dirname(prompt.fsPath) : vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder === undefined ? undefined : vscode.Uri.file(path.join(folder, report.fileName)),
    filters: { 'HTML report': ['html'] },
    title,
  });
  if (target === undefined) {
    return;
  }
  try {
    await vscode.workspace.fs.writeFile(target, Buffer.from(report.html, 'utf8'));
  } catch (error) {
    output.error(`Could not write ${target.fsPath}: ${String(error)}`);
    void vscode.window.showErrorMessage(`Could not write ${path.basename(target.fsPath)}: ${String(error)}. Choose a folder you can write to.`);
    return;
  }
  output.info(`Wrote ${target.fsPath}`);
  const picked = await vscode.window.showInformationMessage(`Wrote ${path.basename(target.fsPath)}.`, 'Open');
  if (picked === 'Open') {
    await vscode.env.openExternal(target);
  }
}
