/**
 * Work on the model (run, explain another span, switch the view, compare: each one server
 * command) with a notification that shows the server's progress and has a Cancel button. Cancel
 * reaches the server twice over: `$/cancelRequest` for the request and
 * `window/workDoneProgress/cancel` for its token.
 */

import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  type LanguageClient,
  WorkDoneProgress,
  WorkDoneProgressCancelNotification,
} from 'vscode-languageclient/node';

import { COMPARE_COMMAND, type ComparisonReport, parseComparisonReport } from './comparisonProtocol';
import { offerKaggleCredentials } from './kaggleCredentials';
import { needsCredentials } from './kaggleEnv';
import {
  CONTENT_MODIFIED,
  errorCode,
  type ExplanationResult,
  parseExplanationResult,
  REQUEST_CANCELLED,
  REQUEST_FAILED,
  type CaseParams,
  type ExplainSpanParams,
  type SetViewParams,
} from './protocol';

/** Work that answers sooner than this shows no notification. */
const NOTIFY_AFTER_MS = 400;

export interface WorkRecord {
  kind: string;
  uri: string;
  case: string | null;
  outcome: 'done' | 'cancelled' | 'failed' | 'modified';
}

function key(params: CaseParams): string {
  return `${params.uri}#${params.case ?? ''}`;
}

export class ModelWork implements vscode.Disposable {
  /** Every piece of work, in order (the e2e test reads it through the extension's API). */
  readonly history: WorkRecord[] = [];
  private readonly inFlight = new Map<string, vscode.CancellationTokenSource>();
  private tokenCount = 0;

  constructor(
    private readonly client: () => LanguageClient | undefined,
    private readonly output: vscode.LogOutputChannel,
    /** Called when a piece of work for a document ends, whatever its outcome. */
    private readonly onWorkEnded: (uri: string) => void,
  ) {}

  /** A server command that answers an ExplanationResult (`promptSalience.run`, `.explainSpan`,
   * `.setView`), sent directly so that its cancellation token reaches the server. */
  command(command: string, params: CaseParams | ExplainSpanParams | SetViewParams, title: string): Promise<ExplanationResult | undefined> {
    return this.run(command, params, title, parseExplanationResult);
  }

  /** `promptSalience.compare`: the case's result against its baseline (model work too). */
  compare(params: CaseParams, title: string): Promise<ComparisonReport | undefined> {
    return this.run(COMPARE_COMMAND, params, title, parseComparisonReport);
  }

  /** Cancel the work in flight for a case (every case of the document when `case` is absent). */
  cancel(params: CaseParams): boolean {
    let any = false;
    for (const [k, source] of this.inFlight) {
      if (k === key(params) || (params.case == null && k.startsWith(`${params.uri}#`))) {
        source.cancel();
        any = true;
      }
    }
    return any;
  }

  isRunning(params: CaseParams): boolean {
    return this.inFlight.has(key(params));
  }

  /** Send server command `kind` with its cancellation token, and parse its answer. */
  private async run<T>(kind: string, params: CaseParams, title: string, parse: (answer: unknown) => T): Promise<T | undefined> {
    const client = this.client();
    if (client === undefined || !client.isRunning()) {
      void vscode.window.showErrorMessage('The Prompt Salience server is not running.', 'Restart server').then((picked) => {
        if (picked) {
          void vscode.commands.executeCommand('promptSalience.restartServer');
        }
      });
      return undefined;
    }
    this.inFlight.get(key(params))?.cancel(); // a new request for the case replaces the old one
    const source = new vscode.CancellationTokenSource();
    this.inFlight.set(key(params), source);
    const workDoneToken = `prompt-salience-client-${++this.tokenCount}`;
    const record: WorkRecord = { kind, uri: params.uri, case: params.case ?? null, outcome: 'failed' };
    this.history.push(record);
    this.output.info(`${kind} ${JSON.stringify({ ...params, workDoneToken })}`);
    // Progress from the server, shown in a notification with a Cancel button once the work
    // has taken NOTIFY_AFTER_MS (a quick re-explanation shows no notification at all).
    let sink: vscode.Progress<{ message?: string; increment?: number }> | undefined;
    let percentage = 0;
    let message: string | undefined;
    const progressListener = client.onProgress(WorkDoneProgress.type, workDoneToken, (value) => {
      if (value.kind === 'end') {
        return;
      }
      message = value.message ?? message;
      const next = value.percentage ?? percentage;
      sink?.report({ message, increment: Math.max(0, next - percentage) });
      percentage = Math.max(percentage, next);
    });
    const tellServer = source.token.onCancellationRequested(() => {
      this.output.info(`Cancelling ${kind} for ${key(params)}`);
      void client.sendNotification(WorkDoneProgressCancelNotification.type, { token: workDoneToken });
    });
    try {
      const answer = client.sendRequest(ExecuteCommandRequest.type, { command: kind, arguments: [{ ...params, workDoneToken }] }, source.token);
      const settled: Promise<boolean> = answer.then(() => true, () => true);
      const quick = await Promise.race([settled, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), NOTIFY_AFTER_MS))]);
      if (!quick) {
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, userToken): Promise<boolean> => {
          sink = progress;
          progress.report({ message, increment: percentage });
          const onCancel = userToken.onCancellationRequested(() => source.cancel());
          const done = settled.then((value) => {
            onCancel.dispose();
            return value;
          });
          return done;
        });
      }
      const result = parse(await answer);
      record.outcome = 'done';
      return result;
    } catch (error) {
      this.handleError(kind, error, record, source.token.isCancellationRequested);
      return undefined;
    } finally {
      progressListener.dispose();
      tellServer.dispose();
      if (this.inFlight.get(key(params)) === source) {
        this.inFlight.delete(key(params));
      }
      source.dispose();
      this.onWorkEnded(params.uri);
    }
  }

  private handleError(kind: string, error: unknown, record: WorkRecord, cancelled: boolean): void {
    const code = errorCode(error);
    const message = error instanceof Error ? error.message : String(error);
    if (cancelled || code === REQUEST_CANCELLED) {
      record.outcome = 'cancelled';
      this.output.info(`${kind}: cancelled`);
      vscode.window.setStatusBarMessage('$(circle-slash) Prompt Salience: cancelled', 4000);
      return;
    }
    if (code === CONTENT_MODIFIED) {
      record.outcome = 'modified';
      this.output.info(`${kind}: ${message}`);
      void vscode.window.showWarningMessage(`Prompt Salience: ${message}`);
      return;
    }
    this.output.error(`${kind} failed: ${message}`);
    if (needsCredentials(error)) {
      void offerKaggleCredentials(message); // the server left it to us: shown with its button
    } else if (code !== REQUEST_FAILED) {
      // RequestFailed was already shown by the server (window/showMessage) with its fix.
      void vscode.window.showErrorMessage(`Prompt Salience: ${message}`, 'Show logs').then((picked) => {
        if (picked) {
          this.output.show(true);
        }
      });
    }
  }

  dispose(): void {
    for (const source of this.inFlight.values()) {
      source.cancel();
    }
  }
}
