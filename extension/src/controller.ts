/**
 * What the extension shows and how it follows the server: the results painted on prompt
 * documents and in response views, comparisons with a case's baseline (the difference map on
 * the prompt, the two answers in a diff editor), the status bar, and the server's choices of
 * methods and granularities. The server decides every fact (buckets, colours, where a result stands after
 * an edit); the controller fetches results, paints those of the document's current version,
 * and routes the user's gestures (commands.ts) to the server's commands.
 */

import * as vscode from 'vscode';
import { CodeLensRequest, type LanguageClient } from 'vscode-languageclient/node';

import type { ComparisonReport } from './comparisonProtocol';
import { type ComparisonShowing, ComparisonStore } from './comparisonStore';
import { COMPARISON_SCHEME, ComparisonDocuments, comparedPromptUri } from './comparisonView';
import { ModelWork } from './modelWork';
import { Painter } from './painter';
import {
  type CaseParams,
  CHOICES_REQUEST,
  type Choices,
  EXPLAIN_SPAN_COMMAND,
  type ExplainSpanParams,
  type ExplanationResult,
  parseChoices,
  parseOptionalResult,
  parseResultChanged,
  RESULT_CHANGED_NOTIFICATION,
  RESULT_REQUEST,
  type ResultChangedParams,
  SET_VIEW_COMMAND,
  type SetViewParams,
  SETTINGS_SECTION,
  type TextSpan,
} from './protocol';
import { CLEARED, CLOSED, EDITED, RESTARTED, ResponseViews, RESPONSE_SCHEME } from './responseView';
import type { SalienceServer } from './server';
import { SalienceStore } from './salienceStore';
import { StatusBar } from './statusBar';

/** Our language (not VS Code's own `prompt`, which is chat prompt files) and LIT datasets. */
const PROMPT_LANGUAGES = new Set(['prompt-salience', 'jsonl']);

export function isPromptDocument(document: vscode.TextDocument): boolean {
  return PROMPT_LANGUAGES.has(document.languageId) || /\.(prompt|jsonl)$/i.test(document.uri.path);
}

/** Results the server computed for our own command: its answer is shown, no need to fetch. */
const ANSWERED_REASONS = new Set(['computed', 'explained']);
/** New results, shown whichever case the document showed: runs, and re-scores after an edit
 * (the baseline response forced under the edited prompt). */
const NEW_RESULT_REASONS = new Set([...ANSWERED_REASONS, 'rescored']);

function caseKey(uri: string, caseName: string): string {
  return `${uri}#${caseName}`;
}

export class SalienceController implements vscode.Disposable {
  readonly store = new SalienceStore();
  readonly comparisons = new ComparisonStore();
  readonly work: ModelWork;
  readonly views: ResponseViews;
  private readonly painter = new Painter();
  private readonly statusBar = new StatusBar();
  private readonly comparisonDocuments = new ComparisonDocuments();
  /** The prompt document last compared (the toggle's target when no prompt is active). */
  private lastCompared: string | undefined;
  private lastResult: ExplanationResult | undefined;
  private choices: Promise<Choices | undefined> | undefined;
  /** Per document, the case of an answer not painted because the document had changed since:
   * the server's next `moved` notice for it brings the result to paint. */
  private readonly awaited = new Map<string, string>();
  /** The latest fetch or answer per case: an older one that lands later is not shown. */
  private readonly tickets = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly server: SalienceServer,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.work = new ModelWork(() => this.server.client, output, (uri) => this.refreshCodeLenses(uri));
    this.views = new ResponseViews(this.painter, (result, span) => void this.explainSpan(result, span));
    this.disposables.push(
      this.painter,
      this.statusBar,
      this.work,
      this.views,
      this.comparisonDocuments,
      server.onDidChangeState(() => this.onServerState()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.window.onDidChangeVisibleTextEditors((editors) => {
        for (const editor of editors) {
          const uri = editor.document.uri.toString();
          if (this.store.get(uri) !== undefined || this.comparisons.get(uri) !== undefined) {
            this.paintEditor(editor);
          }
        }
      }),
      vscode.workspace.onDidChangeTextDocument((event) => {
        // The server moves or drops the result and says so; until then nothing stale shows.
        // A comparison ends: its ranges and its answers belong to the text before the edit.
        const uri = event.document.uri.toString();
        const edited = event.contentChanges.length > 0;
        const ended = edited && this.comparisons.end(uri);
        if ((edited && this.store.hide(uri)) || ended) {
          this.paintPrompt(uri);
          this.updateStatus();
        }
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (this.store.clear(document.uri.toString())) {
          this.views.markStale(document.uri.toString(), CLOSED);
        }
      }),
    );
  }

  /** Handlers for a new client's notifications (they are disposed with the client). */
  listen(client: LanguageClient): vscode.Disposable[] {
    return [client.onNotification(RESULT_CHANGED_NOTIFICATION, (raw: unknown) => this.onResultChanged(parseResultChanged(raw)))];
  }

  /** Ask for the server's CodeLens again: it refreshes them after results, not after a
   * cancelled or failed run, whose "Running…" lens would otherwise stay. */
  private refreshCodeLenses(uri: string): void {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (document !== undefined) {
      this.server.client?.getFeature(CodeLensRequest.method).getProvider(document)?.onDidChangeCodeLensEmitter.fire();
    }
  }

  // -- drawing ---------------------------------------------------------------------------
  paintPrompt(uri: string): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri) {
        this.paintEditor(editor);
      }
    }
  }

  /** A prompt editor shows its comparison's difference map, else its salience. */
  private paintEditor(editor: vscode.TextEditor): void {
    const uri = editor.document.uri.toString();
    const difference = this.comparisons.paintable(uri);
    if (difference !== undefined) {
      this.painter.paint(editor, difference.ranges, undefined, difference.changed);
    } else {
      this.painter.paint(editor, this.store.paintable(uri));
    }
  }

  /** The result for the status bar and the pickers: the active editor's, else the last one. */
  currentResult(): ExplanationResult | undefined {
    const editor = vscode.window.activeTextEditor;
    const inView = this.views.resultOf(editor);
    if (inView !== undefined) {
      return inView.stale !== undefined ? undefined : inView.result;
    }
    if (editor !== undefined && isPromptDocument(editor.document)) {
      return this.store.get(editor.document.uri.toString())?.result;
    }
    const last = this.lastResult;
    return last !== undefined && this.store.get(last.uri)?.result === last ? last : undefined;
  }

  updateStatus(): void {
    const editor = vscode.window.activeTextEditor;
    const relevant = editor !== undefined && (isPromptDocument(editor.document) || editor.document.uri.scheme === RESPONSE_SCHEME);
    const compared = this.comparedUri();
    const comparison = compared !== undefined && compared === this.activePromptUri() ? this.comparisons.get(compared) : undefined;
    this.statusBar.update(this.server.state, this.server.modelState, this.currentResult(), relevant || comparison !== undefined, comparison);
  }

  /** The prompt document of the active editor: a prompt, or one side of its comparison. */
  private activePromptUri(): string | undefined {
    const document = vscode.window.activeTextEditor?.document;
    if (document === undefined) {
      return undefined;
    }
    return document.uri.scheme === COMPARISON_SCHEME ? comparedPromptUri(document) : document.uri.toString();
  }

  /** The document whose comparison a gesture means: the active one's, else the last compared. */
  private comparedUri(): string | undefined {
    const active = this.activePromptUri();
    if (active !== undefined && this.comparisons.get(active) !== undefined) {
      return active;
    }
    return this.lastCompared !== undefined && this.comparisons.get(this.lastCompared) !== undefined ? this.lastCompared : undefined;
  }

  /** A new ticket for a case: what an older ticket brings afterwards is not shown. */
  private nextTicket(uri: string, caseName: string): () => boolean {
    const key = caseKey(uri, caseName);
    const ticket = (this.tickets.get(key) ?? 0) + 1;
    this.tickets.set(key, ticket);
    return () => this.tickets.get(key) === ticket;
  }

  async fetchResult(params: CaseParams): Promise<ExplanationResult | null> {
    const client = this.server.client;
    if (client === undefined) {
      return null;
    }
    return parseOptionalResult(await client.sendRequest(RESULT_REQUEST, params));
  }

  /** Paint `result` on its prompt and in its response view, if it belongs to the document's
   * current version; otherwise the server's next `resultChanged` brings the one that does. */
  async show(result: ExplanationResult, reveal: boolean): Promise<void> {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.uri);
    if (document !== undefined && document.version !== result.version) {
      this.output.info(`Not painting ${result.case} of version ${result.version}: the document is at version ${document.version}.`);
      this.awaited.set(result.uri, result.case);
      return;
    }
    this.awaited.delete(result.uri);
    this.comparisons.end(result.uri); // a new result ends the difference view
    this.store.set(result);
    this.lastResult = result;
    this.paintPrompt(result.uri);
    await this.views.show(result, reveal);
    this.updateStatus();
  }

  /** Run a server command that answers a result (a CodeLens, a picker) and show its answer. */
  async runCommand(command: string, params: CaseParams | ExplainSpanParams | SetViewParams, title: string, reveal: boolean): Promise<ExplanationResult | undefined> {
    const result = await this.work.command(command, params, title);
    if (result !== undefined) {
      this.nextTicket(result.uri, result.case); // fetches begun before this answer are older
      await this.show(result, reveal);
    }
    return result;
  }

  explainSpan(result: ExplanationResult, span: TextSpan): Promise<unknown> {
    const text = result.response.slice(span.start, span.end).trim();
    const title = `Prompt Salience: explaining \u201c${text.length > 40 ? `${text.slice(0, 39)}\u2026` : text}\u201d`;
    return this.runCommand(EXPLAIN_SPAN_COMMAND, { uri: result.uri, case: result.case, start: span.start, end: span.end }, title, false);
  }

  /** Show the current result with another method or granularity (no new generation); with
   * nothing shown, the user setting changes for the next run. */
  async switchView(change: { method?: string; granularity?: string }): Promise<void> {
    const result = this.currentResult();
    if (result === undefined) {
      const [key, value] = change.method !== undefined ? ['method', change.method] : ['granularity', change.granularity];
      await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(key, value, vscode.ConfigurationTarget.Global);
      void vscode.window.showInformationMessage(`No salience is shown: the ${key} ${value} applies to the next run (a prompt file's front-matter wins).`);
      return;
    }
    const title = change.method !== undefined ? `Prompt Salience: method ${change.method}` : `Prompt Salience: granularity ${change.granularity ?? ''}`;
    await this.runCommand(SET_VIEW_COMMAND, { uri: result.uri, case: result.case, ...change }, title, false);
  }

  /** Compare a case's result with its baseline (`promptSalience.compare`: model work), then
   * paint the difference map on the prompt and open the two answers in a diff editor. */
  async compare(params: CaseParams): Promise<ComparisonReport | undefined> {
    const report = await this.work.compare(params, `Prompt Salience: comparing${params.case ? ` ${params.case}` : ''}`);
    if (report === undefined) {
      return undefined;
    }
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === report.uri);
    if (document !== undefined && document.version !== report.version) {
      this.output.info(`Not showing the comparison of ${report.case} for version ${report.version}: the document is at version ${document.version}.`);
      return report;
    }
    this.comparisons.set(report);
    this.lastCompared = report.uri;
    this.paintPrompt(report.uri);
    await this.comparisonDocuments.show(report);
    this.updateStatus();
    return report;
  }

  /** The comparison a gesture means: the active document's, else the last one shown. */
  shownComparison(): ComparisonReport | undefined {
    const uri = this.comparedUri();
    return uri === undefined ? undefined : this.comparisons.get(uri)?.report;
  }

  /** Switch the compared document between the difference map and the current salience. */
  toggleDifferenceView(): ComparisonShowing | undefined {
    const uri = this.comparedUri();
    const showing = uri === undefined ? undefined : this.comparisons.toggle(uri);
    if (uri !== undefined) {
      this.paintPrompt(uri);
      this.updateStatus();
    }
    return showing;
  }

  /** The case shown on the active prompt document (undefined: none, or no prompt active). */
  activeCase(): { uri: string; case: string | undefined } | undefined {
    const document = vscode.window.activeTextEditor?.document;
    if (document === undefined || !isPromptDocument(document)) {
      return undefined;
    }
    const uri = document.uri.toString();
    return { uri, case: this.shownCase(uri) };
  }

  /** The case shown (or awaited) on a document. */
  private shownCase(uri: string): string | undefined {
    return this.awaited.get(uri) ?? this.store.get(uri)?.result.case;
  }

  clearHighlights(): void {
    for (const uri of [...this.comparisons.endAll(), ...this.store.clearAll()]) {
      this.paintPrompt(uri);
      this.views.markStale(uri, CLEARED);
    }
    this.updateStatus();
  }

  /** The methods and granularities the server offers (asked once per server start). */
  choicesNow(): Promise<Choices | undefined> {
    const client = this.server.client;
    if (this.choices === undefined && client?.isRunning() === true) {
      this.choices = client
        .sendRequest(CHOICES_REQUEST, {})
        .then(parseChoices)
        .catch((error: unknown) => {
          this.output.error(`The server did not list its methods and granularities: ${String(error)}`);
          this.choices = undefined; // ask again next time
          return undefined;
        });
    }
    return this.choices ?? Promise.resolve(undefined);
  }

  // -- server events ---------------------------------------------------------------------
  private onResultChanged(params: ResultChangedParams): void {
    // A change of the compared case's result, or a new result on its document, ends the
    // comparison (an edit already has): its difference map is about the result it compared.
    const compared = this.comparisons.get(params.uri);
    if (compared !== undefined && (compared.report.case === params.case || NEW_RESULT_REASONS.has(params.reason))) {
      this.comparisons.end(params.uri);
      this.paintPrompt(params.uri);
      this.updateStatus();
    }
    if (!params.available) {
      this.nextTicket(params.uri, params.case);
      if (this.awaited.get(params.uri) === params.case) {
        this.awaited.delete(params.uri);
      }
      if (this.store.clear(params.uri, params.case)) {
        this.paintPrompt(params.uri);
      }
      this.views.markStale(params.uri, params.reason === 'closed' ? CLOSED : EDITED, params.case);
      this.updateStatus();
      return;
    }
    if (ANSWERED_REASONS.has(params.reason) && this.work.isRunning({ uri: params.uri, case: params.case })) {
      return; // the command's own answer is shown when it comes
    }
    if (!NEW_RESULT_REASONS.has(params.reason) && this.shownCase(params.uri) !== params.case) {
      return; // moved, restyled or pinned, but another case is shown here: keep showing it
    }
    // Computed by another gesture, moved by an edit, or restyled: fetch and paint it.
    const isLatest = this.nextTicket(params.uri, params.case);
    void this.fetchResult({ uri: params.uri, case: params.case }).then(async (result) => {
      if (result !== null && isLatest()) {
        await this.show(result, false);
      }
    });
  }

  private onServerState(): void {
    if (this.server.state !== 'running') {
      // A new server process knows no results (what is shown can no longer be explained),
      // and may offer other methods.
      this.choices = undefined;
      this.awaited.clear();
      for (const uri of [...this.comparisons.endAll(), ...this.store.clearAll()]) {
        this.paintPrompt(uri);
        this.views.markStale(uri, RESTARTED);
      }
    } else {
      void this.choicesNow();
    }
    this.updateStatus();
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
