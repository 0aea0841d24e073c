/**
 * "New Prompt File" (the palette, and File > New File…): an untitled prompt file holding the
 * commented starter (starterPrompt.ts). The language server reads untitled prompt files too, so
 * it runs before it is saved; saving asks where, as for any new file.
 */

import * as vscode from 'vscode';

import { STARTER_PROMPT } from './starterPrompt';

export async function newPromptFile(): Promise<void> {
  const document = await vscode.workspace.openTextDocument({ language: 'prompt-salience', content: STARTER_PROMPT });
  await vscode.window.showTextDocument(document, { preview: false });
}
