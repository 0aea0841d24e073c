/**
 * How the Install button installs the `prompt_salience` package, as plain data: where from (the
 * checkout or the wheel in the .vsix), into what (the extension's own environment, or the
 * interpreter the user picked), the commands in order, and which packages of the user's own
 * environment would change version. Node only: does not import `vscode`.
 *
 * The steps skip TensorFlow, which keras-hub declares and the JAX path never uses (the lists come
 * from scripts/light_requirements.py, written into the bundle at build time):
 *   1. keras-hub without its dependencies (`no-deps.txt`);
 *   2. every other declared requirement (`requirements.txt`);
 *   3. the package itself without dependencies.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A source for `pip install`: this project's checkout (editable), or the wheel in the .vsix. */
export interface PackageSource {
  kind: 'checkout' | 'wheel';
  location: string;
  /** The folder with the requirement lists (the bundle's; a checkout's are written at install). */
  lists: string;
}

/** One command: `command args...`. */
export interface InstallStep {
  command: string;
  args: string[];
}

/** Whether `folder` is a checkout of this project (its pyproject.toml names the package). */
export function isProjectCheckout(folder: string): boolean {
  try {
    return /^name\s*=\s*"prompt-salience"/m.test(readFileSync(path.join(folder, 'pyproject.toml'), 'utf8'));
  } catch {
    return false;
  }
}

/** Where to install the package from: a checkout among the workspace folders, else the bundle. */
export function packageSource(workspaceFolders: readonly string[], bundleDir: string): PackageSource | undefined {
  const checkout = workspaceFolders.find(isProjectCheckout);
  if (checkout !== undefined) {
    return { kind: 'checkout', location: checkout, lists: bundleDir };
  }
  let wheels: string[] = [];
  try {
    wheels = readdirSync(bundleDir).filter((name) => /^prompt_salience-.*\.whl$/.test(name));
  } catch {
    return undefined;
  }
  if (wheels.length === 0 || !existsSync(path.join(bundleDir, 'requirements.txt'))) {
    return undefined;
  }
  return { kind: 'wheel', location: path.join(bundleDir, wheels.sort().pop() ?? ''), lists: bundleDir };
}

/** The Python of a virtual environment in `folder`. */
export function environmentPython(folder: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? path.join(folder, 'Scripts', 'python.exe') : path.join(folder, 'bin', 'python');
}

/** Where the install goes: the extension's own environment (made from `base` when missing), or
 * the interpreter the user chose in the settings. */
export type InstallTarget = { kind: 'own'; folder: string; base: string } | { kind: 'chosen'; python: string; externallyManaged: boolean };

export function targetPython(target: InstallTarget, platform: NodeJS.Platform = process.platform): string {
  return target.kind === 'own' ? environmentPython(target.folder, platform) : target.python;
}

/** The requirement lists a source installs with (a checkout's are written by its own script). */
export function requirementLists(source: PackageSource, scratch: string): { noDeps: string; others: string } {
  const folder = source.kind === 'checkout' ? scratch : source.lists;
  return { noDeps: path.join(folder, 'no-deps.txt'), others: path.join(folder, 'requirements.txt') };
}

/** The commands that install the package (see the module comment), in order. */
export function installSteps(source: PackageSource, target: InstallTarget, scratch: string, exists: (file: string) => boolean = existsSync, platform: NodeJS.Platform = process.platform): InstallStep[] {
  const python = targetPython(target, platform);
  const steps: InstallStep[] = [];
  if (target.kind === 'own' && !exists(python)) {
    steps.push({ command: target.base, args: ['-m', 'venv', target.folder] });
  }
  const lists = requirementLists(source, scratch);
  if (source.kind === 'checkout') {
    // A checkout may declare other versions than the bundle: its own script writes its lists.
    const script = path.join(source.location, 'scripts', 'light_requirements.py');
    steps.push({ command: python, args: [script, 'no-deps', '--out', lists.noDeps] });
    steps.push({ command: python, args: [script, 'others', '--out', lists.others] });
  }
  steps.push({ command: python, args: ['-m', 'pip', 'install', '--no-deps', '-r', lists.noDeps] });
  steps.push({ command: python, args: ['-m', 'pip', 'install', '-r', lists.others] });
  steps.push({ command: python, args: source.kind === 'checkout' ? ['-m', 'pip', 'install', '--no-deps', '-e', source.location] : ['-m', 'pip', 'install', '--no-deps', source.location] });
  return steps;
}

/** pip's dry run of step 2, whose report (`--report FILE`) says what would be installed. */
export function dryRunArgs(others: string, report: string): string[] {
  return ['-m', 'pip', 'install', '--dry-run', '--quiet', '--report', report, '-r', others];
}

export const LIST_ARGS = ['-m', 'pip', 'list', '--format=json'];

/** A package of the user's environment that the install would move to another version. */
export interface VersionChange {
  name: string;
  from: string;
  to: string;
  downgrade: boolean;
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** Compare two versions by their release numbers (`1.10.0` > `1.9`); a pre-release suffix
 * (`1.0rc1`) sorts before its release. Enough for pip's pinned and reported versions. */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): { release: number[]; pre: boolean } => {
    const match = /^v?(\d+(?:\.\d+)*)(.*)$/.exec(v.trim());
    return { release: (match?.[1] ?? '0').split('.').map(Number), pre: /^(a|b|rc|\.?dev)/i.test(match?.[2] ?? '') };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.release.length, y.release.length); i++) {
    const d = (x.release[i] ?? 0) - (y.release[i] ?? 0);
    if (d !== 0) {
      return Math.sign(d);
    }
  }
  return x.pre === y.pre ? 0 : x.pre ? -1 : 1;
}

/**
 * The installed packages that would change version: from `pip list --format=json` (what is
 * there), pip's dry-run report (what step 2 would install) and the no-deps list's `name==version`
 * pins (step 1 installs those without a resolver).
 */
export function versionChanges(installedJson: string, reportJson: string, noDepsList: string): VersionChange[] {
  const installed = new Map<string, { name: string; version: string }>();
  for (const item of JSON.parse(installedJson) as { name: string; version: string }[]) {
    installed.set(normalise(item.name), item);
  }
  const wanted = new Map<string, string>();
  const report = JSON.parse(reportJson) as { install?: { metadata?: { name?: string; version?: string } }[] };
  for (const item of report.install ?? []) {
    if (item.metadata?.name !== undefined && item.metadata.version !== undefined) {
      wanted.set(normalise(item.metadata.name), item.metadata.version);
    }
  }
  for (const line of noDepsList.split('\n')) {
    const pin = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s;#]+)/.exec(line);
    if (pin !== null) {
      wanted.set(normalise(pin[1]), pin[2]);
    }
  }
  const changes: VersionChange[] = [];
  for (const [key, to] of wanted) {
    const have = installed.get(key);
    if (have !== undefined && compareVersions(have.version, to) !== 0) {
      changes.push({ name: have.name, from: have.version, to, downgrade: compareVersions(to, have.version) < 0 });
    }
  }
  return changes.sort((a, b) => Number(b.downgrade) - Number(a.downgrade) || a.name.localeCompare(b.name));
}

/** The question asked before changing versions in the user's environment, or undefined when
 * nothing installed would change. */
export function changeQuestion(python: string, changes: readonly VersionChange[]): string | undefined {
  if (changes.length === 0) {
    return undefined;
  }
  const listed = changes.map((c) => `${c.name} ${c.from} → ${c.to}${c.downgrade ? ' (downgrade)' : ''}`).join(', ');
  const downgrades = changes.filter((c) => c.downgrade).length;
  const head = downgrades > 0 ? `Installing prompt-salience into ${python} would downgrade ${downgrades} of your packages` : `Installing prompt-salience into ${python} would change ${changes.length} of your packages`;
  return `${head}: ${listed}. Install there anyway, or into an environment of the extension's own?`;
}
