import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { changeQuestion, compareVersions, dryRunArgs, installSteps, LIST_ARGS, packageSource, versionChanges } from '../../src/installPlan';

const repo = path.resolve(__dirname, '..', '..', '..', '..');
const venvPython = path.join(repo, '.venv', 'bin', 'python');

function withBundle(body: (bundle: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'ps-install-'));
  try {
    const bundle = path.join(dir, 'bundle');
    mkdirSync(bundle);
    writeFileSync(path.join(bundle, 'prompt_salience-0.1.0-py3-none-any.whl'), '');
    writeFileSync(path.join(bundle, 'no-deps.txt'), 'keras-hub==0.32.0\n');
    writeFileSync(path.join(bundle, 'requirements.txt'), 'keras==3.15.1\n');
    body(bundle);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('installSteps', () => {
  it("makes the extension's own environment, then keras-hub alone, the rest, the wheel without deps", () => {
    withBundle((bundle) => {
      const wheel = packageSource(['/nowhere'], bundle);
      assert.ok(wheel);
      const target = { kind: 'own' as const, folder: '/store/python-env', base: '/usr/bin/python3' };
      const py = '/store/python-env/bin/python';
      assert.deepEqual(installSteps(wheel, target, '/scratch', () => false, 'linux'), [
        { command: '/usr/bin/python3', args: ['-m', 'venv', '/store/python-env'] },
        { command: py, args: ['-m', 'pip', 'install', '--no-deps', '-r', path.join(bundle, 'no-deps.txt')] },
        { command: py, args: ['-m', 'pip', 'install', '-r', path.join(bundle, 'requirements.txt')] },
        { command: py, args: ['-m', 'pip', 'install', '--no-deps', path.join(bundle, 'prompt_salience-0.1.0-py3-none-any.whl')] },
      ]);
      // An environment made before is reused.
      assert.equal(installSteps(wheel, target, '/scratch', () => true, 'linux')[0].args[0], '-m');
      assert.notEqual(installSteps(wheel, target, '/scratch', () => true, 'linux')[0].args[1], 'venv');
    });
  });
  it("installs into a chosen interpreter without making an environment; a checkout writes its own lists", () => {
    withBundle((bundle) => {
      const checkout = packageSource([repo], bundle);
      assert.ok(checkout);
      assert.equal(checkout.kind, 'checkout');
      const steps = installSteps(checkout, { kind: 'chosen', python: '/my/python', externallyManaged: false }, '/scratch', () => true);
      assert.ok(steps.every((s) => s.command === '/my/python'));
      assert.deepEqual(steps[0].args, [path.join(repo, 'scripts', 'light_requirements.py'), 'no-deps', '--out', '/scratch/no-deps.txt']);
      assert.deepEqual(steps[3].args, ['-m', 'pip', 'install', '-r', '/scratch/requirements.txt']);
      assert.deepEqual(steps.at(-1)?.args, ['-m', 'pip', 'install', '--no-deps', '-e', repo]);
    });
  });
  it('finds nothing to install without a wheel and its lists', () => {
    assert.equal(packageSource([], '/nonexistent/bundle'), undefined);
  });
});

describe('versionChanges (never change a user package without saying so)', () => {
  const installed = JSON.stringify([
    { name: 'jax', version: '0.11.2' },
    { name: 'Keras', version: '3.15.1' },
    { name: 'numpy', version: '1.26.4' },
    { name: 'keras_hub', version: '0.33.0' },
  ]);
  const report = JSON.stringify({ install: [{ metadata: { name: 'jax', version: '0.10.2' } }, { metadata: { name: 'numpy', version: '2.4.6' } }, { metadata: { name: 'pygls', version: '2.1.1' } }] });
  it('lists downgrades first, then other changes, and ignores new packages and equal versions', () => {
    assert.deepEqual(versionChanges(installed, report, 'keras-hub==0.32.0\n'), [
      { name: 'jax', from: '0.11.2', to: '0.10.2', downgrade: true },
      { name: 'keras_hub', from: '0.33.0', to: '0.32.0', downgrade: true },
      { name: 'numpy', from: '1.26.4', to: '2.4.6', downgrade: false },
    ]);
    const question = changeQuestion('/my/python', versionChanges(installed, report, 'keras-hub==0.32.0\n')) ?? '';
    assert.match(question, /would downgrade 2 of your packages: jax 0\.11\.2 → 0\.10\.2 \(downgrade\), keras_hub/);
    assert.equal(changeQuestion('/my/python', []), undefined);
  });
  it('compares release numbers, not strings', () => {
    assert.equal(compareVersions('0.10.2', '0.9.9'), 1);
    assert.equal(compareVersions('1.0', '1.0.0'), 0);
    assert.equal(compareVersions('1.0rc1', '1.0'), -1);
  });
  it("reads real pip: the project's own .venv needs no change; an older pin is a downgrade", { skip: !existsSync(venvPython) && 'no .venv: run scripts/setup.sh' }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ps-dry-run-'));
    try {
      const run = (args: string[]): string => execFileSync(venvPython, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
      const list = run(LIST_ARGS);
      const lists = path.join(repo, 'dist', 'python');
      const others = path.join(lists, 'requirements.txt');
      run(dryRunArgs(others, path.join(dir, 'same.json')));
      assert.deepEqual(versionChanges(list, readFileSync(path.join(dir, 'same.json'), 'utf8'), readFileSync(path.join(lists, 'no-deps.txt'), 'utf8')), []);
      const richNow = (JSON.parse(list) as { name: string; version: string }[]).find((p) => p.name === 'rich')?.version ?? '';
      writeFileSync(path.join(dir, 'older.txt'), 'rich==13.0.0\n');
      run(dryRunArgs(path.join(dir, 'older.txt'), path.join(dir, 'older.json')));
      assert.deepEqual(versionChanges(list, readFileSync(path.join(dir, 'older.json'), 'utf8'), ''), [{ name: 'rich', from: richNow, to: '13.0.0', downgrade: true }]);
      const after = (JSON.parse(run(LIST_ARGS)) as { name: string; version: string }[]).find((p) => p.name === 'rich')?.version;
      assert.equal(after, richNow, 'a dry run installs nothing');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
