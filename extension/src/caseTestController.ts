/**
 * The cases with `expect:` items as tests in VS Code's Test Explorer and gutter: one item per
 * case, under one item per prompt document. The items come from the server's
 * `promptSalience.test` CodeLenses (caseTests.ts), so the extension keeps no rule of its own
 * about which case is a test. A run sends `promptSalience.test` for each case with the run's
 * cancellation token (Stop reaches the model), and reports the server's verdict; a failure's
 * explanation is painted by the controller, which follows the server's `resultChanged`.
 */

import * as vscode from 'vscode';
import { ExecuteCommandRequest } from 'vscode-languageclient/node';

import { type CaseTest, caseTestId, type DiagnosticLike, discoverCaseTests, expectationFailureOn, failureMessage, testOutput, verdictOf } from './caseTests';
import { isPromptDocument } from './controller';
import { type CaseParams, errorCode, parseTestReport, REQUEST_CANCELLED, TEST_COMMAND } from './protocol';
import type { SalienceServer } from './server';

/** Refreshes wait for a pause in typing (the server's lenses follow each edit). */
const REFRESH_DELAY_MS = 500;
/** How long a failed case's result waits for the server's diagnostic (sent just before it). */
const DIAGNOSTIC_WAIT_MS = 1000;

function diagnosticsOf(uri: vscode.Uri): DiagnosticLike[] {
  return vscode.languages.getDiagnostics(uri).map((d) => ({
    line: d.range.start.line,
    code: typeof d.code === 'object' ? d.code.value : d.code,
    message: d.message,
  }));
}

/** Whether the diagnostics of `uri` changed since the watch began; `changed()` waits a while
 * for a change when there was none yet. */
function watchDiagnostics(uri: vscode.Uri): { changed(timeoutMs: number): Promise<void>; dispose(): void } {
  let seen = false;
  let wake: (() => void) | undefined;
  const listener = vscode.languages.onDidChangeDiagnostics((event) => {
    if (event.uris.some((u) => u.toString() === uri.toString())) {
      seen = true;
      wake?.();
    }
  });
  return {
    changed: (timeoutMs) =>
      seen
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, timeoutMs);
            wake = () => {
              clearTimeout(timer);
              resolve();
            };
          }),
    dispose: () => {
      listener.dispose();
    },
  };
}

export class CaseTestController implements vscode.Disposable {
  private readonly controller = vscode.tests.createTestController('promptSalience', 'Prompt Salience');
  private readonly profile: vscode.TestRunProfile;
  /** Each case item, and the case it tests, by the item's id. */
  private readonly cases = new Map<string, { test: CaseTest<vscode.Range>; item: vscode.TestItem }>();
  /** Ids of the case items being tested now (their line shows "Running…", not a test lens). */
  private readonly testing = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The latest refresh per document: an older one that answers later changes nothing. */
  private readonly tickets = new Map<string, number>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly server: SalienceServer,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.profile = this.controller.createRunProfile('Test expectations', vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token), true);
    this.controller.refreshHandler = () => Promise.all(vscode.workspace.textDocuments.map((d) => this.refresh(d))).then(() => undefined);
    this.disposables.push(
      this.controller,
      vscode.workspace.onDidOpenTextDocument((document) => this.scheduleRefresh(document)),
      vscode.workspace.onDidChangeTextDocument((event) => this.scheduleRefresh(event.document)),
      vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri.toString())),
      server.onDidChangeState((state) => {
        if (state === 'running') {
          vscode.workspace.textDocuments.forEach((document) => this.scheduleRefresh(document));
        }
      }),
    );
    vscode.workspace.textDocuments.forEach((document) => this.scheduleRefresh(document));
  }

  /** The ids of the case items (read by the end-to-end test). */
  caseItemIds(): string[] {
    return [...this.cases.keys()];
  }

  // -- discovery ---------------------------------------------------------------------------
  private scheduleRefresh(document: vscode.TextDocument): void {
    if (!isPromptDocument(document)) {
      return;
    }
    const uri = document.uri.toString();
    clearTimeout(this.timers.get(uri));
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      void this.refresh(document);
    }, REFRESH_DELAY_MS));
  }

  /** Ask the server's CodeLens for the document's test lenses, and make the items match. */
  private async refresh(document: vscode.TextDocument): Promise<void> {
    if (!isPromptDocument(document) || this.server.state !== 'running') {
      return;
    }
    const uri = document.uri.toString();
    const ticket = (this.tickets.get(uri) ?? 0) + 1;
    this.tickets.set(uri, ticket);
    let lenses: vscode.CodeLens[];
    try {
      lenses = (await vscode.commands.executeCommand<vscode.CodeLens[] | undefined>('vscode.executeCodeLensProvider', document.uri)) ?? [];
    } catch (error) {
      this.output.warn(`No test items for ${uri}: the CodeLens failed (${String(error)})`);
      return;
    }
    if (this.tickets.get(uri) !== ticket || document.isClosed) {
      return;
    }
    const { tests, busy } = discoverCaseTests(lenses);
    const file = this.controller.items.get(uri);
    const kept: vscode.TestItem[] = [];
    file?.children.forEach((item) => {
      if ((busy.includes(item.id) || this.testing.has(item.id)) && !tests.some((t) => t.id === item.id)) {
        kept.push(item);
      }
    });
    if (tests.length === 0 && kept.length === 0) {
      this.forget(uri);
      return;
    }
    const parent = file ?? this.controller.createTestItem(uri, vscode.workspace.asRelativePath(document.uri), document.uri);
    const items = tests.map((test) => {
      const item = parent.children.get(test.id) ?? this.controller.createTestItem(test.id, test.case, document.uri);
      item.range = test.range;
      this.cases.set(test.id, { test, item });
      return item;
    });
    parent.children.forEach((item) => {
      if (!items.includes(item) && !kept.includes(item)) {
        this.cases.delete(item.id);
      }
    });
    parent.children.replace([...items, ...kept]);
    if (file === undefined) {
      this.controller.items.add(parent);
    }
  }

  /** Drop a document's items (it closed, or it has no case with `expect:` now). */
  private forget(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.tickets.set(uri, (this.tickets.get(uri) ?? 0) + 1);
    this.controller.items.get(uri)?.children.forEach((item) => this.cases.delete(item.id));
    this.controller.items.delete(uri);
  }

  // -- runs --------------------------------------------------------------------------------
  /** A `promptSalience.test` lens clicked in the editor: run its case as a test, so that its
   * result shows here too. Undefined when the case has no item (the server answers it alone). */
  runFromLens(params: CaseParams): Promise<void> | undefined {
    const item = params.case == null ? undefined : this.cases.get(caseTestId(params.uri, params.case))?.item;
    return item === undefined ? undefined : this.run(new vscode.TestRunRequest([item], undefined, this.profile), undefined);
  }

  /** The case items a request names: a file's item stands for its cases. */
  private casesOf(request: vscode.TestRunRequest): vscode.TestItem[] {
    const excluded = new Set((request.exclude ?? []).map((item) => item.id));
    const chosen: vscode.TestItem[] = [];
    const add = (item: vscode.TestItem): void => {
      if (excluded.has(item.id) || chosen.includes(item)) {
        return;
      }
      if (this.cases.has(item.id)) {
        chosen.push(item);
      } else {
        item.children.forEach(add);
      }
    };
    if (request.include === undefined) {
      this.controller.items.forEach(add);
    } else {
      request.include.forEach(add);
    }
    return chosen;
  }

  private async run(request: vscode.TestRunRequest, token: vscode.CancellationToken | undefined): Promise<void> {
    const run = this.controller.createTestRun(request);
    const stop = new vscode.CancellationTokenSource();
    const links = [run.token.onCancellationRequested(() => stop.cancel())];
    if (token !== undefined) {
      links.push(token.onCancellationRequested(() => stop.cancel()));
    }
    const items = this.casesOf(request);
    items.forEach((item) => run.enqueued(item));
    try {
      for (const item of items) {
        if (stop.token.isCancellationRequested) {
          run.skipped(item);
        } else {
          await this.runCase(run, item, stop.token);
        }
      }
    } finally {
      vscode.Disposable.from(...links).dispose();
      stop.dispose();
      run.end();
    }
  }

  private async runCase(run: vscode.TestRun, item: vscode.TestItem, token: vscode.CancellationToken): Promise<void> {
    const test = this.cases.get(item.id)?.test;
    const client = this.server.client;
    const uri = item.uri;
    const location = uri && item.range ? new vscode.Location(uri, item.range) : undefined;
    const problem = (text: string): vscode.TestMessage => Object.assign(new vscode.TestMessage(text), { location });
    if (test === undefined || uri === undefined || client === undefined || !client.isRunning()) {
      run.errored(item, problem('The Prompt Salience server is not running (Prompt Salience: Restart Server).'));
      return;
    }
    run.started(item);
    this.testing.add(item.id);
    const diagnostics = watchDiagnostics(uri);
    const started = Date.now();
    try {
      const params: CaseParams = { uri: test.uri, case: test.case };
      this.output.info(`${TEST_COMMAND} ${JSON.stringify(params)}`);
      const answer: unknown = await client.sendRequest(ExecuteCommandRequest.type, { command: TEST_COMMAND, arguments: [params] }, token);
      const verdict = verdictOf(parseTestReport(answer), test.case);
      const duration = Date.now() - started;
      run.appendOutput(testOutput(verdict), location, item);
      if (verdict.passed) {
        run.passed(item, duration);
      } else {
        // The server publishes the failure's diagnostic just before it answers.
        await diagnostics.changed(DIAGNOSTIC_WAIT_MS);
        run.failed(item, problem(failureMessage(verdict, expectationFailureOn(diagnosticsOf(uri), test.range.start.line))), duration);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (token.isCancellationRequested || errorCode(error) === REQUEST_CANCELLED) {
        this.output.info(`${TEST_COMMAND} ${test.case}: cancelled`);
        run.appendOutput(`Case ${test.case}: cancelled (${message})\r\n`, location, item);
        run.skipped(item);
      } else {
        this.output.error(`${TEST_COMMAND} ${test.case} failed: ${message}`);
        run.errored(item, problem(message), Date.now() - started);
      }
    } finally {
      diagnostics.dispose();
      this.testing.delete(item.id);
    }
  }

  dispose(): void {
    this.timers.forEach((timer) => clearTimeout(timer));
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
