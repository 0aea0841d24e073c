/**
 * Prompt Salience for VS Code: starts the language server (server.ts), routes the user's
 * gestures to it (commands.ts), and draws what it computed (controller.ts: decorations on the
 * prompt, the response view, the status bar). This module only wires them together.
 */

import * as vscode from 'vscode';

import { CaseTestController } from './caseTestController';
import { KaggleCredentialStore, offerKaggleCredentials, registerKaggleCommands } from './kaggleCredentials';
import { KAGGLE_CREDENTIALS_KIND, serverEnvironment } from './kaggleEnv';
import { CHOOSE_MODEL_COMMAND, chooseModel } from './modelPicker';
import { registerCommands, serverCommandMiddleware } from './commands';
import { SalienceController } from './controller';
import { registerFirstSteps } from './firstSteps';
import type { ComparisonShowing } from './comparisonStore';
import type { WorkRecord } from './modelWork';
import type { ExplanationResult, LegendEntry } from './protocol';
import { SalienceServer } from './server';
import { ExtensionSettings } from './settings';
import type { Manifest } from './settingsManifest';

/** What the extension exports (read by the end-to-end test's helper extension). */
export interface PromptSalienceApi {
  /** Every piece of model work so far: runs, explanations, view switches. */
  readonly history: readonly WorkRecord[];
  /** The result painted on a prompt document, if any. */
  shown(uri: string): ExplanationResult | undefined;
  serverState(): string;
  /** How many times a server process came up (a restart after a crash adds one). */
  serverStarts(): number;
  /** The comparison shown on a prompt document, if any: its case, the server's summary, the
   * difference map's legend, and whether the document shows that map or the current salience. */
  comparison(uri: string): { case: string; summary: string[]; showing: ComparisonShowing; legend: LegendEntry[] } | undefined;
  /** The ids of the Test Explorer's case items (`<document uri>#<case>`): the cases with `expect:`. */
  testItems(): string[];
}

export function activate(context: vscode.ExtensionContext): PromptSalienceApi {
  const output = vscode.window.createOutputChannel('Prompt Salience', { log: true });
  const settings = new ExtensionSettings(context.extension.packageJSON as Manifest);
  const kaggle = new KaggleCredentialStore(context.secrets);
  // The server's hooks reach the controllers only once the client runs, after they exist.
  const server: SalienceServer = new SalienceServer(context, output, settings, {
    middleware: serverCommandMiddleware(() => controller, () => tests),
    onClient: (client) => controller.listen(client),
    environment: async () => serverEnvironment(process.env, await kaggle.get()),
  });
  const controller = new SalienceController(server, output);
  const tests = new CaseTestController(server, output);
  context.subscriptions.push(output, controller, tests, server, server.onDidChangeModelState(() => controller.updateStatus()));
  registerCommands(context, controller, server, output);
  registerKaggleCommands(context, kaggle, (reason) => server.scheduleRestart(reason));
  context.subscriptions.push(
    vscode.commands.registerCommand(CHOOSE_MODEL_COMMAND, () => chooseModel(server.client, output)),
    server.onDidChangeModelState((state) => {
      if (state?.errorKind === KAGGLE_CREDENTIALS_KIND) {
        void offerKaggleCredentials(state.detail); // a load failed for want of credentials
      }
    }),
  );
  registerFirstSteps(context, controller);

  void server.start();
  controller.updateStatus();
  return {
    history: controller.work.history,
    shown: (uri) => controller.store.get(uri)?.result,
    serverState: () => server.state,
    serverStarts: () => server.starts,
    comparison: (uri) => {
      const shown = controller.comparisons.get(uri);
      return shown && { case: shown.report.case, summary: [...shown.report.summary], showing: shown.showing, legend: shown.report.scale.legend };
    },
    testItems: () => tests.caseItemIds(),
  };
}

export function deactivate(): void {
  // Disposables in context.subscriptions stop the server.
}
