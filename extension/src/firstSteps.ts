/**
 * A new user's first ten minutes: the sample prompts, a new prompt file, and the context keys
 * behind the palette's `when` clauses. The walkthrough ("Debug a prompt with salience") is
 * declared in package.json (its id: walkthrough.ts); its buttons run these commands and
 * commands.ts's.
 */

import * as vscode from 'vscode';

import { trackContextKeys } from './contextKeys';
import type { SalienceController } from './controller';
import { newPromptFile } from './newPromptFile';
import { openSamples } from './samples';

export function registerFirstSteps(context: vscode.ExtensionContext, controller: SalienceController): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('promptSalience.openSamples', () => openSamples(context.extensionUri)),
    vscode.commands.registerCommand('promptSalience.newPromptFile', () => newPromptFile()),
    trackContextKeys(controller),
  );
}
