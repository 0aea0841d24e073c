/**
 * Export HTML report: the engine's own self-contained report, written by the CLI
 * (`prompt-salience run ... --span S:E --html OUT`) for the case, span, method and granularity
 * shown. The CLI runs the case again (same greedy generation, the same number of tokens), so the
 * report is checked against the shown response before it is offered.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import * as vscode from 'vscode';

import type { ExplanationResult, ServerSettings } from './protocol';
import { codePointOffset } from './salienceRanges';

/** The CLI arguments that write `result`'s report to `htmlPath` (and its JSON to `jsonPath`). */
export function exportArguments(result: ExplanationResult, file: string, htmlPath: string, jsonPath: string, settings: ServerSettings): string[] {
  const start = codePointOffset(result.response, result.span.start);
  const end = codePointOffset(result.response, result.span.end);
  const args = [
    '-m', 'prompt_salience', 'run', file,
    '--case', result.case,
    '--method', result.method,
    '--granularity', result.granularity,
    '--span', `${start}:${end}`,
    '--precision', settings.precision,
    '--max-length', String(settings.maxLength),
    '--chat-template', settings.chatTemplate,
    '--intensity', String(settings.intensity),
    '--html', htmlPath,
    '--json', jsonPath,
  ];
  if (result.responseIsGenerated) {
    // Greedy decoding: as many tokens as the shown response gives the same text.
    args.push('--max-new-tokens', String(Math.max(1, result.responseTokens.length)));
  }
  if (settings.model !== 'gemma3_270m') {
    args.push('--model', settings.model);
  }
  if (settings.cacheDir) {
    args.push('--cache-dir', settings.cacheDir);
  }
  return args;
}

export async function exportHtmlReport(result: ExplanationResult, python: string, settings: ServerSettings, output: vscode.LogOutputChannel): Promise<void> {
  const promptUri = vscode.Uri.parse(result.uri);
  if (promptUri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Save the prompt to a file first: the report is made from the file on disk.');
    return;
  }
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.uri);
  if (document?.isDirty) {
    const picked = await vscode.window.showWarningMessage('The report is made from the file on disk. Save it first?', 'Save and export');
    if (picked !== 'Save and export' || !(await document.save())) {
      return;
    }
  }
  const file = promptUri.fsPath;
  const suggested = path.join(path.dirname(file), `${path.basename(file, path.extname(file))}.${result.case}.salience.html`);
  const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(suggested), filters: { 'HTML report': ['html'] }, title: 'Export the salience report' });
  if (target === undefined) {
    return;
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'prompt-salience-'));
  const jsonPath = path.join(scratch, 'report.json');
  const args = exportArguments(result, file, target.fsPath, jsonPath, settings);
  output.info(`> ${python} ${args.join(' ')}`);
  const started = Date.now();
  const code = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Exporting the HTML report (the model runs the case again)', cancellable: true },
    (progress, token) =>
      new Promise<number>((resolve) => {
        const child = spawn(python, args, { cwd: path.dirname(file), windowsHide: true });
        const cancel = token.onCancellationRequested(() => child.kill());
        const log = (data: Buffer): void => {
          const text = data.toString().trim();
          if (text) {
            output.info(text);
            progress.report({ message: text.split('\n').pop()?.slice(0, 80) });
          }
        };
        child.stdout.on('data', log);
        child.stderr.on('data', log);
        child.on('error', (error) => {
          output.error(String(error));
          resolve(-1);
        });
        child.on('close', (status) => {
          cancel.dispose();
          resolve(status ?? -1);
        });
      }),
  );
  try {
    if (code !== 0) {
      const picked = await vscode.window.showErrorMessage('The report could not be written (see the logs).', 'Show logs');
      if (picked) {
        output.show(true);
      }
      return;
    }
    output.info(`Wrote ${target.fsPath} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    let same = false;
    try {
      same = (JSON.parse(readFileSync(jsonPath, 'utf8')) as { response?: string }).response === result.response;
    } catch {
      same = false;
    }
    const note = same ? '' : ' Its response differs from the one shown (other settings?): check it before sharing.';
    const picked = await (same ? vscode.window.showInformationMessage : vscode.window.showWarningMessage)(`Wrote ${path.basename(target.fsPath)}.${note}`, 'Open');
    if (picked === 'Open') {
      await vscode.env.openExternal(target);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
