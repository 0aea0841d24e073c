/**
 * "Prompt Salience: Choose model": a quick pick of the server's list (modelPicks.ts lays it
 * out), Browse… for a preset folder (the server checks it), then where the choice goes: the
 * user setting `promptSalience.model`, or the current file's front-matter `model:` (an edit the
 * server writes). An untrusted workspace offers the user setting only (the server says so).
 */

import * as vscode from 'vscode';
import type { LanguageClient, WorkspaceEdit } from 'vscode-languageclient/node';

import { isPromptDocument } from './controller';
import { offerKaggleCredentials } from './kaggleCredentials';
import {
  MODEL_EDIT_REQUEST,
  MODEL_FOLDER_REQUEST,
  type ModelChoice,
  type ModelList,
  type ModelPickItem,
  MODELS_REQUEST,
  modelPickItems,
  modelTargets,
  parseModelChoice,
  parseModelList,
  type PickWords,
} from './modelPicks';
import { SETTINGS_SECTION } from './protocol';

export const CHOOSE_MODEL_COMMAND = 'promptSalience.chooseModel';

function words(): PickWords {
  return {
    embedded: vscode.l10n.t('Embedded'),
    presets: vscode.l10n.t('Gemma presets (downloaded from Kaggle)'),
    folders: vscode.l10n.t('Preset folders'),
    browse: vscode.l10n.t('Browse\u2026'),
    browseDetail: vscode.l10n.t('A keras-hub preset folder on this machine (it holds config.json)'),
    current: (where) => vscode.l10n.t('current: {0}', where),
    userSettings: vscode.l10n.t('user settings'),
    thisFile: vscode.l10n.t('this file'),
  };
}

type Row = vscode.QuickPickItem & { row?: ModelPickItem };

/** Run the picker against the running server's client. */
export async function chooseModel(client: LanguageClient | undefined, output: vscode.LogOutputChannel): Promise<void> {
  if (client?.isRunning() !== true) {
    void vscode.window.showErrorMessage(vscode.l10n.t('The Prompt Salience server is not running.'));
    return;
  }
  const editor = vscode.window.activeTextEditor;
  const document = editor !== undefined && isPromptDocument(editor.document) ? editor.document : undefined;
  const uri = document?.uri.toString();
  const picked = await pick(client, uri, output);
  if (picked === undefined) {
    return;
  }
  const { list, choice } = picked;
  if (choice.kind === 'kaggle' && !choice.available) {
    void offerKaggleCredentials(vscode.l10n.t('{0} downloads from Kaggle, and no Kaggle credentials are set.', choice.model));
  }
  const targets = modelTargets(list, uri !== undefined);
  let target = targets[0];
  if (targets.length > 1) {
    const rows = [
      { label: vscode.l10n.t('User settings'), description: 'promptSalience.model', target: 'user' as const },
      { label: vscode.l10n.t('This file\u2019s front-matter'), description: 'model:', target: 'file' as const },
    ];
    const where = await vscode.window.showQuickPick(rows, { title: vscode.l10n.t('Use {0} for\u2026', choice.label) });
    if (where === undefined) {
      return;
    }
    target = where.target;
  }
  if (target === 'file' && uri !== undefined) {
    await setFileModel(client, uri, choice.model);
  } else {
    await setUserModel(choice.model);
  }
}

/** The quick pick, filled once the server answers (its first list imports keras-hub). */
async function pick(client: LanguageClient, uri: string | undefined, output: vscode.LogOutputChannel): Promise<{ list: ModelList; choice: ModelChoice } | undefined> {
  const quickPick = vscode.window.createQuickPick<Row>();
  quickPick.title = vscode.l10n.t('Prompt Salience: model');
  quickPick.placeholder = vscode.l10n.t('The model that runs and explains the prompts');
  quickPick.matchOnDetail = true;
  quickPick.busy = true;
  quickPick.show();
  try {
    const answer = client.sendRequest(MODELS_REQUEST, uri === undefined ? {} : { uri }).then(parseModelList);
    const chosen = new Promise<Row | undefined>((resolve) => {
      quickPick.onDidAccept(() => resolve(quickPick.selectedItems[0]));
      quickPick.onDidHide(() => resolve(undefined));
    });
    const list = await Promise.race([answer, chosen.then(() => undefined)]);
    if (list === undefined) {
      return undefined;
    }
    quickPick.items = modelPickItems(list, words()).map((row) => (row.separator ? { label: row.label, kind: vscode.QuickPickItemKind.Separator } : { label: row.label, description: row.description, detail: row.detail, row }));
    quickPick.busy = false;
    const row = (await chosen)?.row;
    quickPick.hide();
    if (row?.browse === true) {
      const folder = await browse(client);
      return folder === undefined ? undefined : { list, choice: folder };
    }
    return row?.choice === undefined ? undefined : { list, choice: row.choice };
  } catch (error) {
    output.error(`The server did not list the models: ${String(error)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Prompt Salience: the server did not list the models ({0}).', String(error)));
    return undefined;
  } finally {
    quickPick.dispose();
  }
}

/** An open-folder dialog; the server checks the folder and says why it is not a preset. */
async function browse(client: LanguageClient): Promise<ModelChoice | undefined> {
  const folders = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: vscode.l10n.t('Use this preset folder') });
  const folder = folders?.[0];
  if (folder === undefined) {
    return undefined;
  }
  try {
    return parseModelChoice(await client.sendRequest(MODEL_FOLDER_REQUEST, { path: folder.fsPath }));
  } catch (error) {
    void vscode.window.showErrorMessage(`Prompt Salience: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

async function setUserModel(model: string): Promise<void> {
  const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  await configuration.update('model', model, vscode.ConfigurationTarget.Global);
  const inspected = configuration.inspect<string>('model');
  const overriding = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  if (overriding !== undefined && overriding !== model) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Your user settings now name {0}, but this workspace\u2019s settings name {1}, which wins.', model, overriding));
  }
}

async function setFileModel(client: LanguageClient, uri: string, model: string): Promise<void> {
  try {
    const edit = await client.protocol2CodeConverter.asWorkspaceEdit(await client.sendRequest<WorkspaceEdit>(MODEL_EDIT_REQUEST, { uri, model }));
    if (!(await vscode.workspace.applyEdit(edit))) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Prompt Salience: the front-matter could not be edited.'));
    }
  } catch (error) {
    void vscode.window.showErrorMessage(`Prompt Salience: ${error instanceof Error ? error.message : String(error)}`);
  }
}
