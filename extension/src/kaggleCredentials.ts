/**
 * Kaggle credentials in the editor's SecretStorage: "Set Kaggle credentials" asks for the
 * username and the key (a password input), "Clear Kaggle credentials" forgets them. The server
 * gets them in its environment (kaggleEnv.ts), so a change restarts it; they never go into
 * settings or files. An error the server marks as a credentials problem is shown with a button
 * that runs the Set command.
 */

import * as vscode from 'vscode';

import { credentialProblem, KAGGLE_SECRET, type KaggleCredentials, readStored, storedForm } from './kaggleEnv';

export const SET_KAGGLE_COMMAND = 'promptSalience.setKaggleCredentials';
export const CLEAR_KAGGLE_COMMAND = 'promptSalience.clearKaggleCredentials';

export class KaggleCredentialStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  async get(): Promise<KaggleCredentials | undefined> {
    return readStored(await this.secrets.get(KAGGLE_SECRET));
  }

  /** Called when the stored credentials change (here or in another window). */
  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((event) => {
      if (event.key === KAGGLE_SECRET) {
        listener();
      }
    });
  }

  set(credentials: KaggleCredentials): Thenable<void> {
    return this.secrets.store(KAGGLE_SECRET, storedForm(credentials));
  }

  clear(): Thenable<void> {
    return this.secrets.delete(KAGGLE_SECRET);
  }
}

/** Register Set/Clear; `restart` restarts the server (so its environment has the change). */
export function registerKaggleCommands(context: vscode.ExtensionContext, store: KaggleCredentialStore, restart: (reason: string) => void): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(SET_KAGGLE_COMMAND, () => askAndStore(store)),
    vscode.commands.registerCommand(CLEAR_KAGGLE_COMMAND, async () => {
      const had = (await store.get()) !== undefined;
      await store.clear();
      void vscode.window.showInformationMessage(had ? vscode.l10n.t('Prompt Salience: the Kaggle credentials are cleared.') : vscode.l10n.t('Prompt Salience: no Kaggle credentials were stored.'));
    }),
    store.onDidChange(() => restart('the Kaggle credentials changed')),
  );
}

async function askAndStore(store: KaggleCredentialStore): Promise<boolean> {
  const title = vscode.l10n.t('Prompt Salience: Kaggle credentials');
  const stored = await store.get();
  const username = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('Your Kaggle username (kaggle.com > Settings > API > Create New Token gives it with the key)'),
    value: stored?.username,
    ignoreFocusOut: true,
    validateInput: (value) => credentialProblem('username', value),
  });
  if (username === undefined) {
    return false;
  }
  const key = await vscode.window.showInputBox({
    title,
    prompt: vscode.l10n.t('Your Kaggle API key (kept in the editor\u2019s secret storage, given to the server only in its environment)'),
    password: true,
    ignoreFocusOut: true,
    validateInput: (value) => credentialProblem('key', value),
  });
  if (key === undefined) {
    return false;
  }
  await store.set({ username: username.trim(), key: key.trim() });
  void vscode.window.showInformationMessage(vscode.l10n.t('Prompt Salience: the Kaggle credentials are stored; the server restarts to use them. Accept the Gemma licence on Kaggle with the same account.'));
  return true;
}

let offering = false; // one offer at a time: a run's error and its failed load say the same

/** Show a credentials error (the server's message, with its fix) with the Set button. */
export async function offerKaggleCredentials(message: string): Promise<void> {
  if (offering) {
    return;
  }
  offering = true;
  try {
    const set = vscode.l10n.t('Set Kaggle credentials');
    if ((await vscode.window.showErrorMessage(`Prompt Salience: ${message}`, set)) === set) {
      await vscode.commands.executeCommand(SET_KAGGLE_COMMAND);
    }
  } finally {
    offering = false;
  }
}
