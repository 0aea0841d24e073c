/**
 * Which Python interpreter runs the language server, whether it has the `prompt_salience`
 * package, and how to install the package into it. Node only: does not import `vscode`.
 *
 * Lookup order (the first that applies wins):
 *   1. the `promptSalience.interpreter` setting. It is used as it is, even without the package
 *      (the user then gets an Install button). In an untrusted workspace only the user-level
 *      value counts: a workspace never chooses the executable we start.
 *   2. the Python extension's active interpreter for the workspace, when that extension is
 *      installed (trusted workspaces only);
 *   3. the workspace folder's `.venv` (trusted workspaces only);
 *   4. the extension's own environment in its global storage, made by the Install button (it
 *      counts in untrusted workspaces too: the extension chose it, not the workspace);
 *   5. `python3` on PATH.
 * Among 2-5, the first interpreter that has the package is chosen. When none has it, the first
 * that runs a recent Python: Install then makes the extension's own environment from it (see
 * installPlan.ts), and installs into a chosen interpreter only when the setting names one.
 */

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export type InterpreterSource = 'setting' | 'python-extension' | 'workspace-venv' | 'extension-env' | 'path';

export interface Candidate {
  command: string;
  source: InterpreterSource;
}

export interface LookupInputs {
  /** The interpreter setting as it applies (already restricted to user level when untrusted). */
  setting: string | undefined;
  /** The Python extension's active interpreter, when it has one. */
  pythonExtension: string | undefined;
  workspaceFolders: readonly string[];
  trusted: boolean;
  /** The Python of the extension's own environment (its global storage), when it exists. */
  ownEnvironment?: string;
  platform?: NodeJS.Platform;
}

export const MIN_PYTHON: readonly [number, number] = [3, 11];

export function venvPython(folder: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? path.join(folder, '.venv', 'Scripts', 'python.exe') : path.join(folder, '.venv', 'bin', 'python');
}

/** The candidates in lookup order (see the module comment). */
export function interpreterCandidates(inputs: LookupInputs, exists: (file: string) => boolean = existsSync): Candidate[] {
  const setting = inputs.setting?.trim();
  if (setting) {
    return [{ command: setting, source: 'setting' }];
  }
  const candidates: Candidate[] = [];
  if (inputs.trusted) {
    if (inputs.pythonExtension) {
      candidates.push({ command: inputs.pythonExtension, source: 'python-extension' });
    }
    for (const folder of inputs.workspaceFolders) {
      const venv = venvPython(folder, inputs.platform);
      if (exists(venv)) {
        candidates.push({ command: venv, source: 'workspace-venv' });
      }
    }
  }
  if (inputs.ownEnvironment !== undefined && exists(inputs.ownEnvironment)) {
    candidates.push({ command: inputs.ownEnvironment, source: 'extension-env' });
  }
  candidates.push({ command: (inputs.platform ?? process.platform) === 'win32' ? 'python' : 'python3', source: 'path' });
  return candidates;
}

export interface Probe {
  /** It ran and answered. */
  runs: boolean;
  version?: [number, number, number];
  hasPackage: boolean;
  executable?: string;
  /** Marked externally managed (PEP 668): pip will not install into it. */
  externallyManaged?: boolean;
  error?: string;
}

// `managed`: PEP 668's marker, which makes pip refuse to install outside a virtual environment.
const PROBE_SCRIPT = [
  'import importlib.util, json, os, sys, sysconfig',
  "managed = sys.prefix == sys.base_prefix and os.path.exists(os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))",
  "print(json.dumps({'version': list(sys.version_info[:3]), 'executable': sys.executable,",
  "  'package': importlib.util.find_spec('prompt_salience') is not None, 'managed': managed}))",
].join('\n');

/** Ask the interpreter its version and whether it can import `prompt_salience` (no import). */
export function probeInterpreter(command: string, timeoutMs = 15000): Promise<Probe> {
  return new Promise((resolve) => {
    execFile(command, ['-c', PROBE_SCRIPT], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      if (error) {
        const detail = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (stderr.trim() || error.message).split('\n').pop();
        resolve({ runs: false, hasPackage: false, error: detail });
        return;
      }
      try {
        const answer = JSON.parse(stdout.trim().split('\n').pop() ?? '') as { version: number[]; executable: string; package: boolean; managed: boolean };
        const [major, minor, micro] = answer.version;
        resolve({ runs: true, version: [major, minor, micro], hasPackage: answer.package, executable: answer.executable, externallyManaged: answer.managed });
      } catch {
        resolve({ runs: false, hasPackage: false, error: `unexpected answer: ${stdout.slice(0, 80)}` });
      }
    });
  });
}

export function versionOk(probe: Probe): boolean {
  const version = probe.version;
  return version !== undefined && (version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1]));
}

export interface Choice {
  candidate: Candidate;
  probe: Probe;
}

/** The interpreter to use (see the module comment), probing candidates in order. */
export async function chooseInterpreter(candidates: readonly Candidate[], probe: (command: string) => Promise<Probe> = probeInterpreter): Promise<Choice | undefined> {
  // Rank: runs with a good version (2), runs (1), the first candidate at all (0).
  let fallback: { choice: Choice; rank: number } | undefined;
  for (const candidate of candidates) {
    const result = await probe(candidate.command);
    const choice = { candidate, probe: result };
    if (candidate.source === 'setting' || (result.runs && result.hasPackage && versionOk(result))) {
      return choice;
    }
    const rank = result.runs ? (versionOk(result) ? 2 : 1) : 0;
    if (fallback === undefined || rank > fallback.rank) {
      fallback = { choice, rank };
    }
  }
  return fallback?.choice;
}

/** What is wrong with the choice, in one sentence, or undefined when the server can start. */
export function problemWith(choice: Choice | undefined): string | undefined {
  if (choice === undefined) {
    return 'No Python interpreter was found (tried the Python extension, the workspace .venv and python3 on PATH).';
  }
  const { candidate, probe } = choice;
  if (!probe.runs) {
    return `The Python interpreter ${candidate.command} does not run (${probe.error ?? 'unknown error'}).`;
  }
  if (!versionOk(probe)) {
    return `Prompt Salience needs Python >= ${MIN_PYTHON.join('.')}; ${candidate.command} is ${probe.version?.join('.') ?? 'older'}.`;
  }
  if (!probe.hasPackage) {
    return `The Python interpreter ${candidate.command} does not have the prompt-salience package.`;
  }
  return undefined;
}

/** The error message and its buttons when the interpreter lacks the package. `into` says where
 * Install would install (the extension's own environment, or the interpreter the user chose).
 * Install runs pip (and, from a checkout, its build code): never in an untrusted workspace,
 * whose settings or folders may have chosen what runs; there the message says how to install
 * from a trusted one. */
export function installOffer(problem: string, canInstall: boolean, trusted: boolean, into = 'this interpreter'): { message: string; actions: string[] } {
  if (canInstall && trusted) {
    return { message: `${problem} Install it into ${into}?`, actions: ['Install', 'Choose interpreter', 'Show logs'] };
  }
  const message = canInstall
    ? `${problem} This workspace is not trusted, so nothing is installed from it: trust it (Manage Workspace Trust) or open a trusted one, and choose Install there.`
    : `${problem} Set "promptSalience.interpreter" to a Python >= 3.11.`;
  return { message, actions: ['Choose interpreter', 'Show logs'] };
}

/** Whether granting trust changes the interpreter to start the server with (the Python
 * extension's and the workspace .venv now count), so the server must restart; otherwise the
 * running server is only told (promptSalience/trust). */
export function trustChangesInterpreter(running: string | undefined, trustedCandidates: readonly Candidate[]): boolean {
  return running === undefined || trustedCandidates[0]?.command !== running;
}
