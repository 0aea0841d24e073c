/**
 * Prompt Salience for VS Code: starts the language server, routes the user's gestures to it,
 * and draws what it computed (decorations on the prompt, the response view, the status bar).
 */

import * as vscode from 'vscode';
import { CodeLensRequest, DidChangeConfigurationNotification, type LanguageClient, type Middleware } from 'vscode-languageclient/node';

import { exportHtmlReport } from './exportReport';
import { ModelWork, type WorkRecord } from './modelWork';
import { Painter } from './painter';
import {
  CANCEL_COMMAND,
  type CaseParams,
  EXPLAIN_SPAN_COMMAND,
  EXPLAIN_SPAN_REQUEST,
  type ExplanationResult,
  MODEL_COMMANDS,
  parseCaseParams,
  parseOptionalReport,
  parseOptionalResult,
  parseResultChanged,
  RESULT_CHANGED_NOTIFICATION,
  REPORT_REQUEST,
  RESULT_REQUEST,
  RUN_COMMAND,
  SET_VIEW_COMMAND,
  SET_VIEW_REQUEST,
  SETTINGS_SECTION,
  SHOW_RESPONSE_COMMAND,
  type TextSpan,
} from './protocol';
import type { TextChange } from './rangeTracking';
import { CLEARED, EDITED, RESTARTED, ResponseViews, RESPONSE_SCHEME } from './responseView';
import { SalienceServer } from './server';
import { intensitySetting, serverSettings } from './settings';
import { SalienceStore } from './salienceStore';
import { pickGranularity, pickMethod, StatusBar } from './statusBar';

/** What the extension exports (read by the end-to-end test's helper extension). */
export interface PromptSalienceApi {
  /** Every piece of model work so far: runs, explanations, view switches. */
  readonly history: readonly WorkRecord[];
  /** The result painted on a prompt document, if any. */
  shown(uri: string): ExplanationResult | undefined;
  serverState(): string;
  /** How many times a server process came up (a restart after a crash adds one). */
  serverStarts(): number;
}

/** Our language (not VS Code's own `prompt`, which is chat prompt files) and LIT datasets. */
const PROMPT_LANGUAGES = new Set(['prompt-salience', 'jsonl']);

function isPromptDocument(document: vscode.TextDocument): boolean {
  return PROMPT_LANGUAGES.has(document.languageId) || /\.(prompt|jsonl)$/i.test(document.uri.path);
}

export function activate(context: vscode.ExtensionContext): PromptSalienceApi {
  const output = vscode.window.createOutputChannel('Prompt Salience', { log: true });
  const painter = new Painter(intensitySetting());
  const store = new SalienceStore();
  const statusBar = new StatusBar();
  const client = (): LanguageClient | undefined => server.client;
  const work = new ModelWork(client, output, refreshCodeLenses);
  const views = new ResponseViews(painter, (result, span) => void explainSpan(result, span));
  let lastResult: ExplanationResult | undefined;

  /** Ask for the server's CodeLens again: it refreshes them after results, not after a
   * cancelled or failed run, whose "Running…" lens would otherwise stay. */
  function refreshCodeLenses(uri: string): void {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (document !== undefined) {
      client()?.getFeature(CodeLensRequest.method).getProvider(document)?.onDidChangeCodeLensEmitter.fire();
    }
  }

  // -- drawing ---------------------------------------------------------------------------
  function paintPrompt(uri: string): void {
    const shown = store.get(uri);
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.toString() === uri) {
        painter.paint(editor, shown?.ranges);
      }
    }
  }

  /** The result for the status bar and the pickers: the active editor's, else the last one. */
  function currentResult(): ExplanationResult | undefined {
    const editor = vscode.window.activeTextEditor;
    const inView = views.resultOf(editor);
    if (inView !== undefined) {
      return inView.stale !== undefined ? undefined : inView.result;
    }
    if (editor !== undefined && isPromptDocument(editor.document)) {
      return store.get(editor.document.uri.toString())?.result;
    }
    return lastResult !== undefined && store.get(lastResult.uri)?.result === lastResult ? lastResult : undefined;
  }

  function updateStatus(): void {
    const editor = vscode.window.activeTextEditor;
    const relevant = editor !== undefined && (isPromptDocument(editor.document) || editor.document.uri.scheme === RESPONSE_SCHEME);
    statusBar.update(server.state, work.modelState, currentResult(), intensitySetting(), relevant);
  }

  async function fetchResult(params: CaseParams): Promise<ExplanationResult | null> {
    const running = client();
    if (running === undefined) {
      return null;
    }
    return parseOptionalResult(await running.sendRequest(RESULT_REQUEST, params));
  }

  /** Paint `result` on its prompt and in its response view. Its ranges belong to its document
   * version: a result computed before the latest edits is fetched again (the server moves or
   * drops it), after a short pause while the user keeps typing. */
  async function show(result: ExplanationResult, reveal: boolean, attempts = 10): Promise<void> {
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === result.uri);
    if (document !== undefined && document.version !== result.version) {
      if (attempts <= 0) {
        output.warn(`Not painting ${result.case}: the document keeps changing.`);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      const moved = await fetchResult({ uri: result.uri, case: result.case });
      if (moved !== null) {
        await show(moved, reveal, attempts - 1);
      }
      return; // null: the edits dropped it
    }
    store.set(result);
    lastResult = result;
    paintPrompt(result.uri);
    await views.show(result, reveal);
    updateStatus();
  }

  function explainSpan(result: ExplanationResult, span: TextSpan): Promise<void> {
    const text = result.response.slice(span.start, span.end).trim();
    const title = `Prompt Salience: explaining \u201c${text.length > 40 ? `${text.slice(0, 39)}\u2026` : text}\u201d`;
    return work.request(EXPLAIN_SPAN_REQUEST, { uri: result.uri, case: result.case, start: span.start, end: span.end }, title).then((next) => (next ? show(next, false) : undefined));
  }

  async function switchView(change: { method?: string; granularity?: string }): Promise<void> {
    const result = currentResult();
    if (result === undefined) {
      const [key, value] = change.method !== undefined ? ['method', change.method] : ['granularity', change.granularity];
      await vscode.workspace.getConfiguration(SETTINGS_SECTION).update(key, value, vscode.ConfigurationTarget.Global);
      void vscode.window.showInformationMessage(`No salience is shown: the ${key} ${value} applies to the next run (a prompt file's front-matter wins).`);
      return;
    }
    const next = await work.request(SET_VIEW_REQUEST, { uri: result.uri, case: result.case, ...change }, change.method !== undefined ? `Prompt Salience: method ${change.method}` : `Prompt Salience: granularity ${change.granularity ?? ''}`);
    if (next !== undefined) {
      await show(next, false);
    }
  }

  // -- the server ------------------------------------------------------------------------
  const titles: Record<string, string> = {
    [RUN_COMMAND]: 'Prompt Salience: running',
    [EXPLAIN_SPAN_COMMAND]: 'Prompt Salience: explaining',
    [SET_VIEW_COMMAND]: 'Prompt Salience: switching the view',
  };
  const middleware: Middleware = {
    executeCommand: async (command, args, next) => {
      if (MODEL_COMMANDS.includes(command)) {
        const params = parseCaseParams(args[0]);
        const result = await work.command(command, params, `${titles[command]}${params.case ? ` ${params.case}` : ''}`);
        if (result !== undefined) {
          await show(result, command === RUN_COMMAND);
        }
        return result;
      }
      if (command === SHOW_RESPONSE_COMMAND) {
        const params = parseCaseParams(args[0]);
        const result = (await fetchResult(params)) ?? undefined;
        if (result !== undefined) {
          await show(result, true);
        }
        return null;
      }
      if (command === CANCEL_COMMAND) {
        work.cancel(parseCaseParams(args[0]));
      }
      return next(command, args) as unknown;
    },
    workspace: {
      configuration: async (params, token, next) => {
        const answer = await next(params, token);
        if (!Array.isArray(answer)) {
          return answer;
        }
        const values = answer as unknown[];
        return params.items.map((item, i): unknown => (item.section === SETTINGS_SECTION ? serverSettings() : values[i]));
      },
    },
  };

  const server: SalienceServer = new SalienceServer(context, output, {
    middleware,
    onClient: (languageClient) => [
      languageClient.onNotification(RESULT_CHANGED_NOTIFICATION, (raw: unknown) => {
        const params = parseResultChanged(raw);
        if (!params.available) {
          if (store.clear(params.uri, params.case)) {
            paintPrompt(params.uri);
          }
          views.markStale(params.uri, EDITED, params.case);
          updateStatus();
        } else if (!work.isRunning({ uri: params.uri, case: params.case })) {
          // Computed outside our own requests (another client gesture): fetch and paint it.
          void fetchResult({ uri: params.uri, case: params.case }).then((result) => (result ? show(result, false) : undefined));
        }
      }),
    ],
  });

  // -- editor events ---------------------------------------------------------------------
  context.subscriptions.push(
    output,
    painter,
    statusBar,
    work,
    views,
    server,
    server.onDidChangeState((state) => {
      if (state !== 'running') {
        // A new server process knows no results: what is shown can no longer be explained.
        for (const uri of store.clearAll()) {
          paintPrompt(uri);
          views.markStale(uri, RESTARTED);
        }
      }
      updateStatus();
    }),
    work.onDidChangeModelState(updateStatus),
    vscode.window.onDidChangeActiveTextEditor(updateStatus),
    vscode.window.onDidChangeVisibleTextEditors((editors) => {
      for (const editor of editors) {
        if (store.get(editor.document.uri.toString())) {
          painter.paint(editor, store.get(editor.document.uri.toString())?.ranges);
        }
      }
    }),
    vscode.workspace.onDidChangeTextDocument((event) => {
      const uri = event.document.uri.toString();
      const changes: TextChange[] = event.contentChanges.map((c) => ({
        range: { start: { line: c.range.start.line, character: c.range.start.character }, end: { line: c.range.end.line, character: c.range.end.character } },
        text: c.text,
      }));
      if (store.applyChanges(uri, changes)) {
        paintPrompt(uri);
      }
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (store.clear(document.uri.toString())) {
        views.markStale(document.uri.toString(), 'The prompt was closed.');
      }
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SETTINGS_SECTION)) {
        return;
      }
      if (event.affectsConfiguration(`${SETTINGS_SECTION}.intensity`)) {
        painter.setIntensity(intensitySetting());
        store.uris().forEach(paintPrompt);
        vscode.window.visibleTextEditors.forEach((e) => views.repaint(e));
      }
      const running = client();
      if (running?.isRunning()) {
        void running.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SETTINGS_SECTION]: serverSettings() } });
      }
      updateStatus();
    }),
  );

  // -- commands --------------------------------------------------------------------------
  const register = (id: string, handler: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  };
  register('promptSalience.runAndExplain', async (uri?: vscode.Uri) => {
    const document = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (document === undefined || !isPromptDocument(document)) {
      void vscode.window.showInformationMessage('Open a .prompt file (or a LIT .jsonl dataset) to run it.');
      return;
    }
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[] | undefined>('vscode.executeCodeLensProvider', document.uri) ?? [];
    const runs = lenses.map((l) => l.command).filter((c): c is vscode.Command => c?.command === RUN_COMMAND);
    if (runs.length === 0) {
      void vscode.window.showWarningMessage('Nothing to run here yet: fix the problems shown in the file (or wait for the server to start).');
      return;
    }
    const picked = runs.length === 1 ? runs[0] : (await vscode.window.showQuickPick(runs.map((c) => ({ label: c.title, command: c })), { title: 'Run which case?' }))?.command;
    if (picked !== undefined) {
      await vscode.commands.executeCommand(picked.command, ...((picked.arguments ?? []) as unknown[]));
    }
  });
  register('promptSalience.explainSelection', () => {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || !views.explainSelection(editor)) {
      void vscode.window.showInformationMessage('Select part of the response in the response view (opened beside the prompt after a run) to explain it.');
    }
  });
  register('promptSalience.explainResponseSpan', (uri: string, caseName: string, span: TextSpan) => {
    const result = store.get(uri)?.result;
    if (result !== undefined && result.case === caseName) {
      void explainSpan(result, span);
    }
  });
  register('promptSalience.chooseMethod', async () => {
    const method = await pickMethod(currentResult()?.method);
    if (method !== undefined) {
      await switchView({ method });
    }
  });
  register('promptSalience.chooseGranularity', async () => {
    const granularity = await pickGranularity(currentResult()?.granularity);
    if (granularity !== undefined) {
      await switchView({ granularity });
    }
  });
  register('promptSalience.clearHighlights', () => {
    for (const uri of store.clearAll()) {
      paintPrompt(uri);
      views.markStale(uri, CLEARED);
    }
    updateStatus();
  });
  register('promptSalience.exportHtmlReport', async () => {
    const result = currentResult();
    const running = client();
    if (result === undefined || running === undefined) {
      void vscode.window.showInformationMessage('Run and explain a prompt first: the report shows the salience on screen.');
      return;
    }
    await exportHtmlReport(result, async (params) => parseOptionalReport(await running.sendRequest(REPORT_REQUEST, params)), output);
  });
  register('promptSalience.showLegend', async () => {
    const result = currentResult();
    if (result === undefined) {
      void vscode.window.showInformationMessage('Violet: influence (Grad L2). Orange / blue: pushed towards / away from the explained span (signed methods). Run a prompt to see the legend with its colours in the response view.');
      return;
    }
    await views.show(result, true);
  });
  register('promptSalience.showStatusMenu', async () => {
    const result = currentResult();
    const items = [
      { label: `$(symbol-method) Method: ${result?.method ?? 'default'}`, command: 'promptSalience.chooseMethod' },
      { label: `$(list-tree) Granularity: ${result?.granularity ?? 'default'}`, command: 'promptSalience.chooseGranularity' },
      { label: '$(symbol-color) Legend', command: 'promptSalience.showLegend' },
      { label: '$(clear-all) Clear highlights', command: 'promptSalience.clearHighlights' },
      { label: '$(export) Export HTML report', command: 'promptSalience.exportHtmlReport' },
      { label: '$(debug-restart) Restart server', command: 'promptSalience.restartServer' },
      { label: '$(output) Show logs', command: 'promptSalience.showLogs' },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Prompt Salience' });
    if (picked !== undefined) {
      await vscode.commands.executeCommand(picked.command);
    }
  });
  register('promptSalience.restartServer', () => server.restart('asked by the user'));
  register('promptSalience.showLogs', () => output.show(true));

  void server.start();
  updateStatus();
  return {
    history: work.history,
    shown: (uri) => store.get(uri)?.result,
    serverState: () => server.state,
    serverStarts: () => server.starts,
  };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the server.
}
