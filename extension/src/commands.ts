/**
 * The user's gestures: the `promptSalience.*` commands of the manifest, and the server's own
 * commands (its CodeLenses) routed through the client's middleware so that their answers are
 * shown and their work has progress and Cancel. Each calls into the controller.
 */

import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';

import type { CaseTestController } from './caseTestController';
import { compareWithFile, exportComparison } from './comparisonCommands';
import { COMPARE_COMMAND } from './comparisonProtocol';
import type { SalienceController } from './controller';
import { exportHtmlReport } from './exportReport';
import {
  CANCEL_COMMAND,
  EXPLAIN_SPAN_COMMAND,
  MODEL_COMMANDS,
  parseCaseParams,
  parseOptionalReport,
  REPORT_REQUEST,
  RUN_COMMAND,
  SET_VIEW_COMMAND,
  SHOW_RESPONSE_COMMAND,
  TEST_COMMAND,
  type TextSpan,
} from './protocol';
import { focusPromptEditor, runAndExplain } from './runAtCursor';
import type { SalienceServer } from './server';
import { pickGranularity, pickMethod } from './statusBar';

const TITLES: Record<string, string> = {
  [RUN_COMMAND]: 'Prompt Salience: running',
  [EXPLAIN_SPAN_COMMAND]: 'Prompt Salience: explaining',
  [SET_VIEW_COMMAND]: 'Prompt Salience: switching the view',
};

/** The server's commands as the client carries them out (`controller` and `tests` once they
 * exist). A test lens runs its case in the Test Explorer, which shows the verdict. */
export function serverCommandMiddleware(controller: () => SalienceController, tests: () => CaseTestController): Middleware {
  return {
    executeCommand: async (command, args, next) => {
      if (MODEL_COMMANDS.includes(command)) {
        const params = parseCaseParams(args[0]);
        return controller().runCommand(command, params, `${TITLES[command]}${params.case ? ` ${params.case}` : ''}`, command === RUN_COMMAND);
      }
      if (command === SHOW_RESPONSE_COMMAND) {
        const result = await controller().fetchResult(parseCaseParams(args[0]));
        if (result !== null) {
          await controller().show(result, true);
        }
        return null;
      }
      if (command === COMPARE_COMMAND) {
        return controller().compare(parseCaseParams(args[0]));
      }
      if (command === TEST_COMMAND) {
        const run = tests().runFromLens(parseCaseParams(args[0]));
        if (run !== undefined) {
          return run;
        }
      }
      if (command === CANCEL_COMMAND) {
        controller().work.cancel(parseCaseParams(args[0]));
      }
      return next(command, args) as unknown;
    },
  };
}

/** Register the manifest's `promptSalience.*` commands. */
export function registerCommands(context: vscode.ExtensionContext, controller: SalienceController, server: SalienceServer, output: vscode.LogOutputChannel): void {
  const register = (id: string, handler: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  };
  register('promptSalience.runAndExplain', (uri?: vscode.Uri) => runAndExplain(controller, uri));
  register('promptSalience.explainSelection', () => {
    const editor = vscode.window.activeTextEditor;
    if (editor === undefined || !controller.views.explainSelection(editor, true)) {
      void vscode.window.showInformationMessage('Select part of the response in the response view (opened beside the prompt after a run), or put the cursor on one of its lines, to explain it.');
    }
  });
  register('promptSalience.explainResponseSpan', (uri: string, caseName: string, span: TextSpan) => {
    const result = controller.store.get(uri)?.result;
    if (result !== undefined && result.case === caseName) {
      void controller.explainSpan(result, span);
    }
  });
  const noChoices = (): void => {
    void vscode.window.showWarningMessage('The Prompt Salience server has not listed its methods and granularities (is it running?).', 'Show logs').then((picked) => picked && output.show(true));
  };
  register('promptSalience.chooseMethod', async () => {
    const choices = await controller.choicesNow();
    if (choices === undefined) {
      noChoices();
      return;
    }
    const method = await pickMethod(choices, controller.currentResult()?.method);
    if (method !== undefined) {
      await controller.switchView({ method });
    }
  });
  register('promptSalience.chooseGranularity', async () => {
    const choices = await controller.choicesNow();
    if (choices === undefined) {
      noChoices();
      return;
    }
    const granularity = await pickGranularity(choices, controller.currentResult()?.granularity);
    if (granularity !== undefined) {
      await controller.switchView({ granularity });
    }
  });
  register('promptSalience.compareWithPinned', async () => {
    await focusPromptEditor();
    const active = controller.activeCase();
    if (active === undefined) {
      void vscode.window.showInformationMessage('Open a .prompt file whose case you pinned (the \u201cPin this result\u201d CodeLens), edit it and run it again, then compare.');
      return;
    }
    await controller.compare({ uri: active.uri, case: active.case });
  });
  register('promptSalience.compareWith', () => compareWithFile(controller));
  register('promptSalience.exportComparison', () => exportComparison(controller, server, output));
  register('promptSalience.toggleDifferenceView', () => {
    if (controller.toggleDifferenceView() === undefined) {
      void vscode.window.showInformationMessage('No comparison is shown: click \u201cCompare with the pinned answer\u201d above a case (or run Prompt Salience: Compare with Pinned).');
    }
  });
  register('promptSalience.clearHighlights', () => controller.clearHighlights());
  register('promptSalience.exportHtmlReport', async () => {
    const result = controller.currentResult();
    const client = server.client;
    if (result === undefined || client === undefined) {
      void vscode.window.showInformationMessage('Run and explain a prompt first: the report shows the salience on screen.');
      return;
    }
    await exportHtmlReport(result, async (params) => parseOptionalReport(await client.sendRequest(REPORT_REQUEST, params)), output);
  });
  register('promptSalience.showLegend', async () => {
    const result = controller.currentResult();
    if (result === undefined) {
      void vscode.window.showInformationMessage('The legend appears in the response view after a run: click \u25b6 Run and explain above a case in a .prompt file.');
      return;
    }
    await controller.views.show(result, true);
  });
  register('promptSalience.showStatusMenu', async () => {
    const result = controller.currentResult();
    const items = [
      { label: `$(symbol-method) Method: ${result?.method ?? 'default'}`, command: 'promptSalience.chooseMethod' },
      { label: `$(list-tree) Granularity: ${result?.granularity ?? 'default'}`, command: 'promptSalience.chooseGranularity' },
      { label: '$(symbol-color) Legend', command: 'promptSalience.showLegend' },
      { label: '$(clear-all) Clear highlights', command: 'promptSalience.clearHighlights' },
      { label: '$(export) Export HTML report', command: 'promptSalience.exportHtmlReport' },
      ...(controller.shownComparison() === undefined ? [] : [{ label: '$(export) Export comparison report', command: 'promptSalience.exportComparison' }]),
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
}
