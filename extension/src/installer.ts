/**
 * The Install button: installs the `prompt_salience` package into the extension's own virtual
 * environment (in its global storage, made from the interpreter that was found), or, when the
 * user chose an interpreter in the settings, into that one after saying which of its packages
 * would change version and asking. The plan itself is plain data in installPlan.ts.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';

import * as vscode from 'vscode';

import type { Choice } from './interpreter';
import { changeQuestion, dryRunArgs, environmentPython, type InstallStep, type InstallTarget, installSteps, LIST_ARGS, packageSource, requirementLists, targetPython, versionChanges } from './installPlan';
import { SETTINGS_SECTION } from './protocol';

const OWN_ENVIRONMENT = 'python-env';
// pip's resolver check after step 2 names keras-hub's TensorFlow requirement, skipped on purpose.
const EXPECTED_PIP_NOTE = /keras-hub .* requires tensorflow-text/;

export class Installer {
  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  private storage(): string {
    return this.context.globalStorageUri.fsPath;
  }

  /** The Python of the extension's own environment (it may not exist yet). */
  ownEnvironmentPython(): string {
    return environmentPython(path.join(this.storage(), OWN_ENVIRONMENT));
  }

  /** Where Install puts the package for this interpreter choice. */
  target(choice: Choice): InstallTarget {
    if (choice.candidate.source === 'setting') {
      return { kind: 'chosen', python: choice.candidate.command, externallyManaged: choice.probe.externallyManaged === true };
    }
    const base = choice.candidate.source === 'extension-env' ? (choice.probe.executable ?? choice.candidate.command) : choice.candidate.command;
    return { kind: 'own', folder: path.join(this.storage(), OWN_ENVIRONMENT), base };
  }

  describe(target: InstallTarget): string {
    return target.kind === 'own' ? `an environment of its own (${target.folder})` : 'this interpreter';
  }

  /** Install (progress, cancellable); true when done. `folders` are the trusted workspace folders. */
  async install(chosen: InstallTarget, folders: readonly string[]): Promise<boolean> {
    const source = packageSource(folders, path.join(this.context.extensionPath, 'dist', 'python'));
    if (source === undefined) {
      void vscode.window.showErrorMessage('This build of the extension carries no Python package to install. Install prompt-salience into the interpreter yourself (scripts/setup.sh in a checkout).', 'Show logs');
      return false;
    }
    const scratch = path.join(this.storage(), 'install-lists');
    mkdirSync(scratch, { recursive: true });
    let target = chosen;
    if (target.kind === 'chosen') {
      const decision = target.externallyManaged ? await this.askAboutManaged(target.python) : await this.askAboutChanges(target.python, requirementLists(source, scratch), source.kind === 'wheel');
      if (decision === 'cancel') {
        return false;
      }
      if (decision === 'own') {
        target = { kind: 'own', folder: path.join(this.storage(), OWN_ENVIRONMENT), base: target.python };
        await this.clearInterpreterSetting();
      }
    }
    const python = targetPython(target);
    const log: string[] = [];
    const ok = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Installing prompt-salience into ${this.describe(target)}`, cancellable: true }, async (progress, token) => {
      for (const step of installSteps(source, target, scratch)) {
        const ran = await this.runStep(step, (line) => progress.report({ message: line.slice(0, 80) }), token);
        log.push(ran.output);
        if (ran.status !== 0) {
          return false;
        }
      }
      return true;
    });
    if (ok) {
      void vscode.window.showInformationMessage(`prompt-salience is installed into ${python}; starting the server.`);
      return true;
    }
    if (target.kind === 'own') {
      rmSync(target.folder, { recursive: true, force: true }); // never leave a half-made environment behind
    }
    const noVenv = log.some((line) => /ensurepip|No module named venv/.test(line));
    const message = noVenv
      ? `Creating the extension's Python environment failed: ${target.kind === 'own' ? target.base : python} has no working venv module. On Debian or Ubuntu install it (sudo apt install python3-venv), or choose an interpreter.`
      : `Installing prompt-salience into ${python} failed or was cancelled.`;
    const picked = await vscode.window.showErrorMessage(message, 'Show logs', 'Choose interpreter');
    if (picked === 'Show logs') {
      this.output.show(true);
    } else if (picked === 'Choose interpreter') {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${SETTINGS_SECTION}.interpreter`);
    }
    return false;
  }

  /** In the user's own interpreter: say which installed packages would change version, and ask. */
  private async askAboutChanges(python: string, lists: { noDeps: string; others: string }, listsExist: boolean): Promise<'install' | 'own' | 'cancel'> {
    let question: string | undefined;
    if (listsExist) {
      const report = path.join(this.storage(), 'install-lists', 'dry-run.json');
      const listed = await this.runStep({ command: python, args: LIST_ARGS });
      const dryRun = await this.runStep({ command: python, args: dryRunArgs(lists.others, report) });
      if (dryRun.output.includes('externally-managed-environment')) {
        return this.askAboutManaged(python);
      }
      const ran = listed.status === 0 && dryRun.status === 0;
      try {
        question = ran ? changeQuestion(python, versionChanges(listed.stdout, readFileSync(report, 'utf8'), readFileSync(lists.noDeps, 'utf8'))) : `Could not check which packages of ${python} the install would change (pip's dry run failed; see the logs). Install there anyway, or into an environment of the extension's own?`;
      } catch (error) {
        question = `Could not check which packages of ${python} the install would change (${String(error)}). Install there anyway, or into an environment of the extension's own?`;
      }
    } else {
      question = `Installing from this checkout into ${python} may change the versions of its packages. Install there anyway, or into an environment of the extension's own?`;
    }
    if (question === undefined) {
      return 'install';
    }
    this.output.warn(question);
    const picked = await vscode.window.showWarningMessage(question, { modal: true }, 'Install anyway', 'Use own environment');
    return picked === 'Install anyway' ? 'install' : picked === 'Use own environment' ? 'own' : 'cancel';
  }

  /** A system Python marked by PEP 668: pip refuses it, so only the own environment is offered. */
  private async askAboutManaged(python: string): Promise<'own' | 'cancel'> {
    const refused = `${python} is managed by the system (PEP 668): pip does not install into it. Install into an environment of the extension's own instead?`;
    this.output.warn(refused);
    return (await vscode.window.showWarningMessage(refused, { modal: true }, 'Use own environment')) === 'Use own environment' ? 'own' : 'cancel';
  }

  /** The user asked for the extension's own environment instead: the setting would win over it. */
  private async clearInterpreterSetting(): Promise<void> {
    const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const inspected = config.inspect<string>('interpreter');
    if (inspected?.workspaceValue !== undefined) {
      await config.update('interpreter', undefined, vscode.ConfigurationTarget.Workspace);
    }
    if (inspected?.globalValue !== undefined) {
      await config.update('interpreter', undefined, vscode.ConfigurationTarget.Global);
    }
    this.output.info('Cleared promptSalience.interpreter: the server runs from the extension\'s own environment.');
  }

  /** Run one step, logging its output; its exit status, its stdout, and all it printed. */
  private runStep(step: InstallStep, onLine?: (line: string) => void, token?: vscode.CancellationToken): Promise<{ status: number; stdout: string; output: string }> {
    this.output.info(`> ${step.command} ${step.args.join(' ')}`);
    let stdout = '';
    let output = '';
    return new Promise((resolve) => {
      const child = spawn(step.command, step.args, { windowsHide: true });
      const cancel = token?.onCancellationRequested(() => child.kill());
      const onData = (data: Buffer): void => {
        const text = data.toString();
        output += text;
        this.output.info(text.trimEnd());
        if (EXPECTED_PIP_NOTE.test(text)) {
          this.output.info('(Expected: TensorFlow is skipped on purpose, the JAX path never uses it.)');
        }
        const last = text.trim().split('\n').pop();
        if (last && onLine !== undefined) {
          onLine(last);
        }
      };
      child.stdout.on('data', (data: Buffer) => {
        stdout += data.toString();
        onData(data);
      });
      child.stderr.on('data', onData);
      child.on('error', (error) => {
        output += String(error);
        this.output.error(String(error));
        resolve({ status: -1, stdout, output });
      });
      child.on('close', (status) => {
        cancel?.dispose();
        resolve({ status: status ?? -1, stdout, output });
      });
    });
  }
}
