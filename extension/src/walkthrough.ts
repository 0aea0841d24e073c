/**
 * The walkthrough "Debug a prompt with salience" (declared in package.json): its id as VS Code
 * names it (`publisher.name#id`), for `workbench.action.openWalkthrough`. No `vscode` here.
 */

export const WALKTHROUGH_ID = 'prompt-salience.prompt-salience#debugPromptWithSalience';
