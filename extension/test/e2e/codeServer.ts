/**
 * A real VS Code for the end-to-end test: code-server (from .tools/, see scripts/setup.sh) with
 * the packaged extension and a test-only helper extension, driven by playwright-core in
 * Debian's headless Chromium. Everything runs on 127.0.0.1, in fresh folders.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const CODE_SERVER = path.join(REPO, '.tools', 'code-server', 'node_modules', '.bin', 'code-server');
export const VSIX = process.env.PS_E2E_VSIX ?? path.join(REPO, 'dist', 'prompt-salience.vsix');
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const HELPER = path.join(REPO, 'extension', 'test', 'e2e', 'helper-extension');
const VSCE = path.join(REPO, 'node_modules', '.bin', 'vsce');

/** What the helper extension writes (see helper-extension/extension.js). */
export interface HelperState {
  time: number;
  /** vscode.workspace.isTrusted */
  trusted?: boolean;
  /** The id of the last request the helper carried out. */
  done: number;
  serverState: string;
  serverStarts: number;
  history: { kind: string; uri: string; case: string | null; outcome: string }[];
  shown: {
    uri: string;
    version: number;
    dirty: boolean;
    result: {
      case: string;
      version: number;
      method: string;
      granularity: string;
      span: { start: number; end: number };
      spanText: string;
      response: string;
      /** The label of the model that ran. */
      model?: string;
      segments: number;
      /** The server's colour scale: the intensity it applied and its legend. */
      intensity: number;
      legend: { bucket: number; colour: string | null; themeColour: string | null }[];
    } | null;
    hover: string | null;
    /** The document's diagnostics (severity: vscode.DiagnosticSeverity, 1 = Warning). */
    diagnostics?: { line: number; severity: number; code: string | null; message: string }[];
    /** The comparison shown on the document (the extension's API), if any. */
    comparison: {
      case: string;
      summary: string[];
      showing: 'difference' | 'salience';
      legend: { bucket: number; colour: string | null; themeColour: string | null }[];
    } | null;
  }[];
  /** The diff editors open: their title and each side's text (null: not loaded). */
  diffs: { label: string; original: string | null; modified: string | null }[];
  /** The Test Explorer's case items: `<document uri>#<case>`. */
  testItems: string[];
}

export interface Session {
  page: Page;
  /** code-server's process id (the extension host and the language server run under it). */
  pid: number;
  workspace: string;
  run: string;
  state(): HelperState | undefined;
  waitForState(what: string, check: (state: HelperState) => boolean, timeoutMs: number): Promise<HelperState>;
  /** Change a user setting through the VS Code API (the helper extension does it). */
  setSetting(setting: string, value: unknown): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Poll `probe` until it gives a value (not undefined), or fail after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export function missingPieces(): string[] {
  return [CODE_SERVER, VSIX, CHROMIUM, VSCE].filter((file) => !existsSync(file));
}

/** Start code-server on a free loopback port with a copy of `prompts/` as the workspace. */
/** Processes started under `root` (itself excluded) whose command line matches `pattern`. */
export function descendants(root: number, pattern: RegExp): number[] {
  const parents = new Map<number, number>();
  const commands = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) {
      continue;
    }
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      parents.set(pid, Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0));
      commands.set(pid, readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // the process ended meanwhile
    }
  }
  const under = (pid: number): boolean => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (p === root) {
        return true;
      }
    }
    return false;
  };
  return [...commands].filter(([pid, command]) => pattern.test(command) && under(pid)).map(([pid]) => pid);
}

export interface SessionOptions {
  /** The `promptSalience.interpreter` setting (default: this checkout's .venv; null: unset). */
  interpreter?: string | null;
  /** A folder put first on code-server's PATH (e.g. to choose which `python3` is found). */
  pathFirst?: string;
  /** Workspace trust on, with the folder left untrusted (restricted mode, no startup prompt). */
  untrusted?: boolean;
  /** More user settings. */
  settings?: Record<string, unknown>;
}

export async function startSession(logs: string, options: SessionOptions = {}): Promise<Session> {
  const run = mkdtempSync(path.join(tmpdir(), 'prompt-salience-e2e-'));
  const extensions = path.join(run, 'extensions');
  const userData = path.join(run, 'user-data');
  const workspace = path.join(run, 'workspace');
  const statePath = path.join(run, 'state.json');
  mkdirSync(path.join(userData, 'User'), { recursive: true });
  cpSync(path.join(REPO, 'prompts'), path.join(workspace, 'prompts'), { recursive: true });

  execFileSync(VSCE, ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '--out', path.join(run, 'helper.vsix')], { cwd: HELPER, stdio: 'pipe' });
  for (const vsix of [VSIX, path.join(run, 'helper.vsix')]) {
    execFileSync(CODE_SERVER, ['--install-extension', vsix, '--extensions-dir', extensions, '--user-data-dir', userData, '--config', path.join(run, 'config.yaml')], { stdio: 'pipe' });
  }
  writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.colorTheme': 'Default Dark Modern',
        'chat.disableAIFeatures': true,
        'telemetry.telemetryLevel': 'off',
        'update.mode': 'none',
        'extensions.autoCheckUpdates': false,
        'extensions.ignoreRecommendations': true,
        'editor.hover.delay': 100,
        'editor.minimap.enabled': false,
        'editor.occurrencesHighlight': 'off',
        'editor.selectionHighlight': false,
        'workbench.tips.enabled': false,
        'workbench.secondarySideBar.defaultVisibility': 'hidden',
        'security.workspace.trust.enabled': options.untrusted === true,
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
        'git.enabled': false,
        ...options.settings,
      },
      null,
      1,
    ),
  );
  // Machine-scoped settings (the interpreter) live in code-server's remote settings: VS Code
  // ignores them in the browser's user settings, since that machine is not the server's.
  mkdirSync(path.join(userData, 'Machine'), { recursive: true });
  const interpreter = options.interpreter === null ? {} : { 'promptSalience.interpreter': options.interpreter ?? path.join(REPO, '.venv', 'bin', 'python') };
  writeFileSync(path.join(userData, 'Machine', 'settings.json'), JSON.stringify(interpreter, null, 1));

  const port = await freePort();
  const log = path.join(run, 'code-server.log');
  const child: ChildProcess = spawn(
    CODE_SERVER,
    [
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      ...(options.untrusted === true ? [] : ['--disable-workspace-trust']),
      '--disable-getting-started-override',
      '--config', path.join(run, 'config.yaml'),
      '--user-data-dir', userData,
      '--extensions-dir', extensions,
      workspace,
    ],
    { env: { ...process.env, PS_E2E_STATE: statePath, ...(options.pathFirst === undefined ? {} : { PATH: `${options.pathFirst}${path.delimiter}${process.env.PATH ?? ''}` }) }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const output: Buffer[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d));
  child.stderr?.on('data', (d: Buffer) => output.push(d));

  const base = `http://127.0.0.1:${port}`;
  await waitFor('code-server /healthz', async () => {
    try {
      return (await fetch(`${base}/healthz`)).ok ? true : undefined;
    } catch {
      return undefined;
    }
  }, 60000);

  let context: BrowserContext | undefined;
  const stop = async (): Promise<void> => {
    await context?.close().catch(() => undefined);
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await waitFor('code-server to exit', () => (child.exitCode !== null || child.signalCode !== null ? true : undefined), 10000).catch(() => child.kill('SIGKILL'));
    }
    writeFileSync(log, Buffer.concat(output));
    mkdirSync(logs, { recursive: true });
    copyFileSync(log, path.join(logs, 'code-server.log'));
    if (existsSync(path.join(userData, 'logs'))) {
      cpSync(path.join(userData, 'logs'), path.join(logs, 'vscode-logs'), { recursive: true });
    }
    if (existsSync(statePath)) {
      copyFileSync(statePath, path.join(logs, 'helper-state.json'));
    }
    rmSync(run, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  };

  try {
    context = await chromium.launchPersistentContext(path.join(run, 'chromium'), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${base}/?folder=${encodeURIComponent(workspace)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 60000 });
    let requests = 0;
    const state = (): HelperState | undefined => {
      try {
        return JSON.parse(readFileSync(statePath, 'utf8')) as HelperState;
      } catch {
        return undefined;
      }
    };
    return {
      page,
      pid: child.pid ?? -1,
      workspace,
      run,
      state,
      waitForState: (what, check, timeoutMs) =>
        waitFor(what, () => {
          const current = state();
          return current !== undefined && check(current) ? current : undefined;
        }, timeoutMs),
      setSetting: async (setting, value) => {
        requests += 1;
        const id = requests;
        writeFileSync(`${statePath}.request.json`, JSON.stringify({ id, setting, value }));
        await waitFor(`the setting ${setting}`, () => ((state()?.done ?? 0) >= id ? true : undefined), 20000);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
