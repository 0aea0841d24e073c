/**
 * The read-only response view beside the prompt: the response, its explained span outlined,
 * the response's own context coloured, a legend, and the server's notices (warnings in the
 * editor's warning colour). Selecting text in it (or clicking one of
 * the CodeLenses the server offers: a line, or a sentence of a longer line) explains that span.
 */

import * as vscode from 'vscode';

import { responseLenses } from './lensSpans';
import { type Painter, toVscodeRange } from './painter';
import type { ExplanationResult, TextSpan } from './protocol';
import { type ResponseView, responseView, selectionToSpan } from './salienceRanges';

export const RESPONSE_SCHEME = 'prompt-salience-response';
const SELECTION_DELAY_MS = 500;

interface ShownView {
  result: ExplanationResult;
  view: ResponseView;
  /** Why the salience is no longer shown (undefined while it is). */
  stale: string | undefined;
}

export const EDITED = 'The prompt was edited after this run, so its salience was removed. Run it again to explain the new prompt.';
export const RESTARTED = 'The language server restarted and no longer has this run. Run the prompt again.';
export const CLEARED = 'Highlights cleared. Run the prompt again (or switch method/granularity from the status bar) to show them.';
export const CLOSED = 'The prompt was closed.';

export type ExplainHandler = (result: ExplanationResult, span: TextSpan) => void;

function baseName(uri: string): string {
  const path = vscode.Uri.parse(uri).path;
  return path.slice(path.lastIndexOf('/') + 1) || 'prompt';
}

/** The view's URI for a prompt document and case. */
export function viewUri(promptUri: string, caseName: string): vscode.Uri {
  const query = new URLSearchParams({ uri: promptUri, case: caseName }).toString();
  return vscode.Uri.from({ scheme: RESPONSE_SCHEME, path: `/${baseName(promptUri)} \u00b7 ${caseName} \u00b7 response`, query });
}

export class ResponseViews implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly views = new Map<string, ShownView>();
  private readonly changeEmitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changeEmitter.event;
  private readonly lensEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** The lines of the server's notices that are warnings. */
  private readonly warningType = vscode.window.createTextEditorDecorationType({
    color: new vscode.ThemeColor('editorWarning.foreground'),
    fontWeight: 'bold',
  });
  private selectionTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly painter: Painter,
    private readonly explain: ExplainHandler,
  ) {
    this.disposables.push(
      vscode.workspace.registerTextDocumentContentProvider(RESPONSE_SCHEME, this),
      vscode.languages.registerCodeLensProvider({ scheme: RESPONSE_SCHEME }, this),
      vscode.window.onDidChangeVisibleTextEditors((editors) => editors.forEach((e) => this.repaint(e))),
      vscode.window.onDidChangeTextEditorSelection((event) => this.onSelection(event)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.scheme === RESPONSE_SCHEME) {
          this.paintDocument(event.document.uri);
        }
      }),
      this.changeEmitter,
      this.lensEmitter,
      this.warningType,
    );
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const shown = this.views.get(uri.toString());
    if (shown === undefined) {
      return 'This response is no longer available: run the prompt again.';
    }
    if (shown.stale !== undefined) {
      return `${shown.result.response}\n\n\u2500\u2500 ${shown.stale}\n`;
    }
    return shown.view.text;
  }

  /** Show `result` in its view (opening it beside the prompt when `reveal`). */
  async show(result: ExplanationResult, reveal: boolean): Promise<void> {
    const uri = viewUri(result.uri, result.case);
    this.views.set(uri.toString(), { result, view: responseView(result), stale: undefined });
    this.changeEmitter.fire(uri);
    this.lensEmitter.fire();
    const visible = vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === uri.toString());
    if (reveal || visible) {
      const document = await vscode.workspace.openTextDocument(uri);
      if (!visible) {
        const editor = await vscode.window.showTextDocument(document, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
        this.repaint(editor);
      }
    }
    this.paintDocument(uri);
  }

  /** The prompt's result is gone (edited, closed, cleared): the views of `uri` say so. */
  markStale(promptUri: string, reason: string, caseName?: string): void {
    for (const [key, shown] of this.views) {
      if (shown.result.uri === promptUri && (caseName === undefined || shown.result.case === caseName) && shown.stale === undefined) {
        shown.stale = reason;
        this.changeEmitter.fire(vscode.Uri.parse(key));
      }
    }
    this.lensEmitter.fire();
  }

  /** The result shown in a view editor, if it is one of ours and current. */
  resultOf(editor: vscode.TextEditor | undefined): ShownView | undefined {
    if (editor === undefined || editor.document.uri.scheme !== RESPONSE_SCHEME) {
      return undefined;
    }
    return this.views.get(editor.document.uri.toString());
  }

  private paintDocument(uri: vscode.Uri): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri.toString()) {
        this.repaint(editor);
      }
    }
  }

  /** Draw a view editor's decorations (no-op for other editors). */
  repaint(editor: vscode.TextEditor): void {
    const shown = this.resultOf(editor);
    if (shown === undefined) {
      return;
    }
    // Paint only once the document holds the text the ranges were computed on.
    if (shown.stale !== undefined || editor.document.getText() !== shown.view.text) {
      this.painter.clear(editor);
      editor.setDecorations(this.warningType, []);
      return;
    }
    this.painter.paintMerged(editor, [shown.view.segments, shown.view.swatches], shown.view.explained);
    editor.setDecorations(this.warningType, shown.view.warnings.map(toVscodeRange));
  }

  /** A selection made by the user in a view explains that span (after a short pause). */
  private onSelection(event: vscode.TextEditorSelectionChangeEvent): void {
    const shown = this.resultOf(event.textEditor);
    if (shown === undefined || shown.stale !== undefined) {
      return;
    }
    const byUser = event.kind === vscode.TextEditorSelectionChangeKind.Keyboard || event.kind === vscode.TextEditorSelectionChangeKind.Mouse;
    if (!byUser) {
      return;
    }
    clearTimeout(this.selectionTimer);
    this.selectionTimer = setTimeout(() => this.explainSelection(event.textEditor), SELECTION_DELAY_MS);
  }

  /** Explain what is selected in a view editor; false when nothing in the response is. With
   * `lineIfEmpty` (the command, Ctrl+Enter) an empty selection means the cursor's line. */
  explainSelection(editor: vscode.TextEditor, lineIfEmpty = false): boolean {
    const shown = this.resultOf(editor);
    if (shown === undefined || shown.stale !== undefined || editor.document.getText() !== shown.view.text) {
      return false;
    }
    const selection = lineIfEmpty && editor.selection.isEmpty ? editor.document.lineAt(editor.selection.active.line).range : editor.selection;
    const span = selectionToSpan(shown.view, editor.document.offsetAt(selection.start), editor.document.offsetAt(selection.end));
    if (span === undefined) {
      return false;
    }
    if (span.start === shown.result.span.start && span.end === shown.result.span.end) {
      return true; // already explained
    }
    this.explain(shown.result, span);
    return true;
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const shown = this.views.get(document.uri.toString());
    if (shown === undefined || shown.stale !== undefined || document.getText() !== shown.view.text) {
      return [];
    }
    const { result } = shown;
    // The server's spans (it prefetched them): view offsets are response offsets.
    return responseLenses(result).map(({ span, title }) => {
      const range = new vscode.Range(document.positionAt(span.start), document.positionAt(span.start));
      return new vscode.CodeLens(range, { title, command: 'promptSalience.explainResponseSpan', arguments: [result.uri, result.case, span] });
    });
  }

  dispose(): void {
    clearTimeout(this.selectionTimer);
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
