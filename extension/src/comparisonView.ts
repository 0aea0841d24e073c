/**
 * A comparison's two responses in VS Code's diff editor: the baseline's answer (pinned, else
 * the last one an edit removed) on the left, the current answer on the right, each a read-only
 * virtual document of our own scheme whose text is the server's.
 */

import * as vscode from 'vscode';

import type { ComparisonReport } from './comparisonProtocol';
import { baselineName, comparisonTitle } from './comparisonStore';

export const COMPARISON_SCHEME = 'prompt-salience-comparison';

type Side = 'before' | 'after';

function baseName(uri: string): string {
  const path = vscode.Uri.parse(uri).path;
  return path.slice(path.lastIndexOf('/') + 1) || 'prompt';
}

/** The virtual document of one side of a case's comparison. */
function sideUri(report: ComparisonReport, side: Side): vscode.Uri {
  const query = new URLSearchParams({ uri: report.uri, case: report.case, side }).toString();
  const label = side === 'before' ? baselineName(report) : 'now';
  return vscode.Uri.from({ scheme: COMPARISON_SCHEME, path: `/${baseName(report.uri)} \u00b7 ${report.case} \u00b7 ${label}`, query });
}

/** The prompt document a comparison's document belongs to (undefined: not one of ours). */
export function comparedPromptUri(document: vscode.TextDocument): string | undefined {
  if (document.uri.scheme !== COMPARISON_SCHEME) {
    return undefined;
  }
  return new URLSearchParams(document.uri.query).get('uri') ?? undefined;
}

export class ComparisonDocuments implements vscode.TextDocumentContentProvider, vscode.Disposable {
  /** The text of each side shown, by its URI. */
  private readonly texts = new Map<string, string>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly registration: vscode.Disposable;

  constructor() {
    this.registration = vscode.workspace.registerTextDocumentContentProvider(COMPARISON_SCHEME, this);
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.texts.get(uri.toString()) ?? 'This comparison is no longer available: compare again from the CodeLens.';
  }

  /** Open the diff of the report's responses beside the prompt (focus stays on the prompt). */
  async show(report: ComparisonReport): Promise<void> {
    const sides: [vscode.Uri, string][] = [
      [sideUri(report, 'before'), report.beforeResponse],
      [sideUri(report, 'after'), report.afterResponse],
    ];
    for (const [uri, text] of sides) {
      this.texts.set(uri.toString(), text);
      this.changeEmitter.fire(uri);
    }
    const options: vscode.TextDocumentShowOptions = { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false };
    await vscode.commands.executeCommand('vscode.diff', sides[0][0], sides[1][0], comparisonTitle(report), options);
  }

  dispose(): void {
    this.registration.dispose();
    this.changeEmitter.dispose();
  }
}
