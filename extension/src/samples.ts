/**
 * "Open the Sample Prompts": the codelab's menu prompts ship inside the extension (`prompts/`);
 * this copies them into the workspace's `prompt-salience-samples/` folder (never over a user's
 * file: see samplePlan.ts) and opens the menu prompt with its mistake. With no folder open it
 * asks for one.
 */

import * as vscode from 'vscode';

import { planSampleCopies, renamedNotice } from './samplePlan';

export const SAMPLES_FOLDER = 'prompt-salience-samples';
/** The codelab's menu prompts (and their dataset): the walkthrough's files. */
const SAMPLE_PATTERN = /^menu-.*\.(prompt|jsonl)$/;
const FIRST_SAMPLE = 'menu-fewshot-mistake.prompt';

async function readTexts(folder: vscode.Uri, names: readonly string[]): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const name of names) {
    texts.set(name, new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, name))));
  }
  return texts;
}

async function fileNames(folder: vscode.Uri): Promise<string[]> {
  try {
    return (await vscode.workspace.fs.readDirectory(folder)).filter(([, type]) => type === vscode.FileType.File).map(([name]) => name);
  } catch {
    return []; // no such folder yet
  }
}

/** The folder to copy into: the first workspace folder, else one the user picks. */
async function targetRoot(): Promise<vscode.Uri | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  if (folder !== undefined) {
    return folder;
  }
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Copy the samples here',
    title: 'No folder is open: where should the sample prompts go?',
  });
  return picked?.[0];
}

export async function openSamples(extensionUri: vscode.Uri): Promise<void> {
  const root = await targetRoot();
  if (root === undefined) {
    return;
  }
  const source = vscode.Uri.joinPath(extensionUri, 'prompts');
  const samples = await readTexts(source, (await fileNames(source)).filter((name) => SAMPLE_PATTERN.test(name)).sort());
  const target = vscode.Uri.joinPath(root, SAMPLES_FOLDER);
  const existing = await readTexts(target, await fileNames(target));
  const plan = planSampleCopies(samples, existing);
  try {
    await vscode.workspace.fs.createDirectory(target);
    for (const copy of plan.filter((p) => p.action !== 'same')) {
      await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(target, copy.target), new TextEncoder().encode(samples.get(copy.sample)));
    }
  } catch (error) {
    void vscode.window.showErrorMessage(`Could not copy the sample prompts into ${target.fsPath}: ${String(error)}. Open a folder you can write to and try again.`);
    return;
  }
  const notice = renamedNotice(plan);
  if (notice !== undefined) {
    void vscode.window.showInformationMessage(notice);
  }
  const first = plan.find((p) => p.sample === FIRST_SAMPLE);
  if (first === undefined) {
    return;
  }
  const document = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(target, first.target));
  // Beside the walkthrough (or another page that is not a text editor), so both stay in view.
  const beside = vscode.window.activeTextEditor === undefined && vscode.window.tabGroups.activeTabGroup.activeTab !== undefined;
  await vscode.window.showTextDocument(document, { viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preview: false });
}
