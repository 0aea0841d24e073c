/**
 * The language server process: find the interpreter (order in interpreter.ts), start the
 * client, restart on interpreter changes (debounced) and on crashes (bounded), and offer to
 * install the package when the interpreter lacks it. It also hands the server its settings:
 * as `initializationOptions`, on `workspace/configuration` and on every change, and keeps the
 * model's state as the server last announced it (`promptSalience/modelState`).
 */

import * as vscode from 'vscode';
import {
  CloseAction,
  type CloseHandlerResult,
  DidChangeConfigurationNotification,
  ErrorAction,
  type ErrorHandlerResult,
  LanguageClient,
  type LanguageClientOptions,
  type Middleware,
  RevealOutputChannelOn,
  type ServerOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';

import { CrashPolicy } from './crashPolicy';
import { Installer } from './installer';
import { MODEL_STATE_NOTIFICATION, type ModelStateParams, parseModelState } from './modelState';
import {
  type Choice,
  chooseInterpreter,
  installOffer,
  interpreterCandidates,
  problemWith,
  trustChangesInterpreter,
} from './interpreter';
import { SETTINGS_SECTION } from './protocol';
import type { ExtensionSettings } from './settings';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

const TRUST_NOTIFICATION = 'promptSalience/trust'; // {trusted}: untrusted, files' `model:` is ignored
const RESTART_DELAY_MS = 750;

/** The parts of the Python extension's API we use (ms-python.python). */
interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(environment: { path: string } | string): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
    onDidChangeActiveEnvironmentPath: vscode.Event<unknown>;
  };
}

export interface ServerHooks {
  /** The client's middleware (the server adds its own `workspace/configuration` answer). */
  middleware: Middleware;
  /** Called with each new client once it runs (to attach notification handlers). */
  onClient(client: LanguageClient): vscode.Disposable[];
  /** The server process's environment, read at each start (the editor's, plus the stored
   * Kaggle credentials: kaggleEnv.ts). */
  environment?(): Promise<NodeJS.ProcessEnv>;
}

export class SalienceServer implements vscode.Disposable {
  client: LanguageClient | undefined;
  state: ServerState = 'stopped';
  /** How many times a server process came up (restarts after crashes included). */
  starts = 0;
  interpreter: Choice | undefined;
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  modelState: ModelStateParams | undefined; // as the running server last announced it
  private readonly modelStateEmitter = new vscode.EventEmitter<ModelStateParams | undefined>();
  readonly onDidChangeModelState = this.modelStateEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  private clientDisposables: vscode.Disposable[] = [];
  private readonly crashes = new CrashPolicy();
  private restartTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private readonly installer: Installer;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly settings: ExtensionSettings,
    private readonly hooks: ServerHooks,
  ) {
    this.installer = new Installer(context, output);
    this.disposables.push(
      this.stateEmitter,
      this.modelStateEmitter,
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`${SETTINGS_SECTION}.interpreter`)) {
          this.scheduleRestart('the interpreter setting changed');
        } else if (event.affectsConfiguration(SETTINGS_SECTION) && this.client?.isRunning() === true) {
          // The server applies them (and repaints through resultChanged when colours change).
          void this.client.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SETTINGS_SECTION]: this.settings.forServer() } });
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.trustGranted()),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (this.settings.interpreter() === undefined) {
          this.scheduleRestart('the workspace folders changed');
        }
      }),
    );
    void this.watchPythonExtension();
  }

  private setState(state: ServerState): void {
    if (state === 'running' && this.state !== 'running') {
      this.starts += 1;
    }
    this.state = state;
    if (state !== 'running') {
      this.setModelState(undefined); // a new server process has loaded nothing
    }
    this.stateEmitter.fire(state);
  }

  private setModelState(model: ModelStateParams | undefined): void {
    if (model !== this.modelState) {
      this.modelState = model;
      this.modelStateEmitter.fire(model);
    }
  }

  private async pythonApi(): Promise<PythonExtensionApi | undefined> {
    const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
    if (extension === undefined) {
      return undefined;
    }
    try {
      return extension.isActive ? extension.exports : await extension.activate();
    } catch (error) {
      this.output.warn(`The Python extension did not activate: ${String(error)}`);
      return undefined;
    }
  }

  private async watchPythonExtension(): Promise<void> {
    const api = await this.pythonApi();
    const environments = api?.environments;
    if (environments !== undefined) {
      this.disposables.push(
        environments.onDidChangeActiveEnvironmentPath(() => {
          if (this.settings.interpreter() === undefined) {
            this.scheduleRestart("the Python extension's interpreter changed");
          }
        }),
      );
    }
  }

  private async pythonExtensionInterpreter(): Promise<string | undefined> {
    const environments = (await this.pythonApi())?.environments;
    if (environments === undefined) {
      return undefined;
    }
    try {
      const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
      const environment = await environments.resolveEnvironment(environments.getActiveEnvironmentPath(resource));
      return environment?.executable.uri?.fsPath;
    } catch (error) {
      this.output.warn(`Could not read the Python extension's interpreter: ${String(error)}`);
      return undefined;
    }
  }

  private workspaceFolders(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  }

  /** Find the interpreter and start the server (no-op while a start is in progress). */
  start(): Promise<void> {
    this.starting ??= this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    this.setState('starting');
    const trusted = vscode.workspace.isTrusted;
    const candidates = interpreterCandidates({
      setting: this.settings.interpreter(),
      pythonExtension: trusted ? await this.pythonExtensionInterpreter() : undefined,
      workspaceFolders: this.workspaceFolders(),
      trusted,
      ownEnvironment: this.installer.ownEnvironmentPython(),
    });
    const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect<string>('interpreter');
    this.output.info(`Interpreter setting: user ${JSON.stringify(inspected?.globalValue)}, workspace ${JSON.stringify(inspected?.workspaceValue)}; trusted: ${trusted}`);
    this.output.info(`Interpreter candidates (in order): ${candidates.map((c) => `${c.command} [${c.source}]`).join(', ')}`);
    const choice = await chooseInterpreter(candidates);
    this.interpreter = choice;
    const problem = problemWith(choice);
    if (problem !== undefined || choice === undefined) {
      this.output.error(problem ?? 'No interpreter.');
      this.setState('failed');
      void this.offerFix(problem ?? 'No interpreter.', choice);
      return;
    }
    this.output.info(`Starting the server with ${choice.candidate.command} (${choice.candidate.source}, Python ${choice.probe.version?.join('.')})`);
    await this.startClient(choice.candidate.command);
  }

  private async startClient(python: string): Promise<void> {
    const cwd = this.workspaceFolders()[0] ?? this.context.extensionPath;
    const env = (await this.hooks.environment?.()) ?? process.env;
    const serverOptions: ServerOptions = {
      command: python,
      args: ['-m', 'prompt_salience.server'],
      transport: TransportKind.stdio,
      options: { cwd, env: { ...env, PYTHONUNBUFFERED: '1', PROMPT_SALIENCE_LOG: process.env.PROMPT_SALIENCE_LOG ?? 'WARNING' } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { language: 'prompt-salience' },
        { language: 'jsonl' },
        { scheme: 'file', pattern: '**/*.jsonl' },
      ],
      outputChannel: this.output,
      traceOutputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: { [SETTINGS_SECTION]: this.settings.forServer(), trusted: vscode.workspace.isTrusted },
      middleware: {
        ...this.hooks.middleware,
        workspace: {
          ...this.hooks.middleware.workspace,
          configuration: async (params, token, next) => {
            const answer = await next(params, token);
            if (!Array.isArray(answer)) {
              return answer;
            }
            const values = answer as unknown[];
            return params.items.map((item, i): unknown => (item.section === SETTINGS_SECTION ? this.settings.forServer() : values[i]));
          },
        },
      },
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
        closed: (): CloseHandlerResult => this.onClosed(),
      },
    };
    const client = new LanguageClient('promptSalience', 'Prompt Salience', serverOptions, clientOptions);
    this.client = client;
    this.clientDisposables.push(
      client.onDidChangeState((event) => {
        if (event.newState === State.Running) {
          this.setState('running');
        } else if (event.newState === State.Stopped && this.state !== 'failed') {
          this.setState('stopped');
        }
      }),
    );
    this.clientDisposables.push(client.onNotification(MODEL_STATE_NOTIFICATION, (raw: unknown) => this.setModelState(parseModelState(raw))));
    this.clientDisposables.push(...this.hooks.onClient(client)); // handlers outlive restarts
    try {
      await client.start();
      this.setState('running');
    } catch (error) {
      this.output.error(`The server did not start: ${String(error)}`);
      this.setState('failed');
      void this.showFailure(`The Prompt Salience server did not start: ${String(error)}`);
    }
  }

  /** The connection closed without our asking: restart a few times, then stop and say so. */
  private onClosed(): CloseHandlerResult {
    if (this.crashes.shouldRestart(Date.now())) {
      this.output.warn(`The server stopped unexpectedly; restarting (${this.crashes.recent} of ${this.crashes.maxCrashes - 1}).`);
      return { action: CloseAction.Restart, handled: true };
    }
    this.setState('failed');
    void this.showFailure(`The Prompt Salience server stopped ${this.crashes.maxCrashes} times in ${this.crashes.windowMs / 60000} minutes, so it was not restarted.`);
    return { action: CloseAction.DoNotRestart, handled: true };
  }

  private async showFailure(message: string): Promise<void> {
    const choice = await vscode.window.showErrorMessage(message, 'Show logs', 'Restart');
    if (choice === 'Show logs') {
      this.output.show(true);
    } else if (choice === 'Restart') {
      this.crashes.reset();
      await this.restart('asked by the user');
    }
  }

  /** Say what is wrong with the interpreter, with the buttons that fix it. */
  private async offerFix(problem: string, choice: Choice | undefined): Promise<void> {
    const canInstall = choice !== undefined && choice.probe.runs && problemWith(choice)?.includes('does not have') === true;
    const target = choice === undefined ? undefined : this.installer.target(choice);
    const offer = installOffer(problem, canInstall, vscode.workspace.isTrusted, target === undefined ? undefined : this.installer.describe(target));
    const picked = await vscode.window.showErrorMessage(offer.message, ...offer.actions);
    if (picked === 'Install' && target !== undefined) {
      // Untrusted (Install is not offered then): the .vsix's wheel, never a checkout's build code.
      if (await this.installer.install(target, vscode.workspace.isTrusted ? this.workspaceFolders() : [])) {
        await this.restart('the package was installed');
      }
    } else if (picked === 'Choose interpreter') {
      await vscode.commands.executeCommand('workbench.action.openSettings', `${SETTINGS_SECTION}.interpreter`);
    } else if (picked === 'Show logs') {
      this.output.show(true);
    }
  }

  /** Trust granted: tell the running server (files' models apply now); restart if the interpreter changes. */
  private async trustGranted(): Promise<void> {
    const candidates = interpreterCandidates({ setting: this.settings.interpreter(), pythonExtension: await this.pythonExtensionInterpreter(), workspaceFolders: this.workspaceFolders(), trusted: true, ownEnvironment: this.installer.ownEnvironmentPython() });
    if (this.client?.isRunning() === true && !trustChangesInterpreter(this.interpreter?.candidate.command, candidates)) {
      await this.client.sendNotification(TRUST_NOTIFICATION, { trusted: true });
    } else {
      this.scheduleRestart('the workspace is trusted now');
    }
  }

  scheduleRestart(reason: string): void {
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => void this.restart(reason), RESTART_DELAY_MS);
  }

  async restart(reason: string): Promise<void> {
    clearTimeout(this.restartTimer);
    this.output.info(`Restarting the server: ${reason}.`);
    await this.stop();
    await this.start();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const disposable of this.clientDisposables.splice(0)) {
      disposable.dispose();
    }
    if (client !== undefined) {
      try {
        await client.stop(5000);
      } catch (error) {
        this.output.warn(`Stopping the server: ${String(error)}`);
      }
    }
    this.setState('stopped');
  }

  dispose(): void {
    clearTimeout(this.restartTimer);
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
    void this.stop();
  }
}
