import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  type Candidate,
  chooseInterpreter,
  installSteps,
  interpreterCandidates,
  packageSource,
  type Probe,
  probeInterpreter,
  problemWith,
} from '../../src/interpreter';

const repo = path.resolve(__dirname, '..', '..', '..', '..');

describe('interpreterCandidates (the documented lookup order)', () => {
  const exists = (file: string): boolean => file.startsWith('/ws');
  it('takes the setting alone when set', () => {
    assert.deepEqual(interpreterCandidates({ setting: ' /opt/py ', pythonExtension: '/x/python', workspaceFolders: ['/ws'], trusted: true }, exists), [{ command: '/opt/py', source: 'setting' }]);
  });
  it('then the Python extension, the workspace .venv, python3 on PATH', () => {
    const candidates = interpreterCandidates({ setting: '', pythonExtension: '/x/python', workspaceFolders: ['/ws', '/other'], trusted: true, platform: 'linux' }, exists);
    assert.deepEqual(candidates.map((c) => c.source), ['python-extension', 'workspace-venv', 'path']);
    assert.equal(candidates[1].command, '/ws/.venv/bin/python');
    assert.equal(candidates[2].command, 'python3');
  });
  it('takes nothing from an untrusted workspace', () => {
    const candidates = interpreterCandidates({ setting: undefined, pythonExtension: '/x/python', workspaceFolders: ['/ws'], trusted: false }, exists);
    assert.deepEqual(candidates.map((c) => c.source), ['path']);
  });
});

describe('chooseInterpreter', () => {
  const probes: Record<string, Probe> = {
    old: { runs: true, version: [3, 9, 1], hasPackage: true },
    bare: { runs: true, version: [3, 12, 0], hasPackage: false },
    good: { runs: true, version: [3, 11, 4], hasPackage: true },
    missing: { runs: false, hasPackage: false, error: 'not found' },
  };
  const probe = (command: string): Promise<Probe> => Promise.resolve(probes[command]);
  const c = (command: string, source: Candidate['source'] = 'path'): Candidate => ({ command, source });

  it('prefers the first candidate that has the package', async () => {
    const choice = await chooseInterpreter([c('bare', 'python-extension'), c('old', 'workspace-venv'), c('good')], probe);
    assert.equal(choice?.candidate.command, 'good');
    assert.equal(problemWith(choice), undefined);
  });
  it('else the first that runs a recent Python, so Install targets it', async () => {
    const choice = await chooseInterpreter([c('missing', 'python-extension'), c('old', 'workspace-venv'), c('bare')], probe);
    assert.equal(choice?.candidate.command, 'bare');
    assert.match(problemWith(choice) ?? '', /does not have the prompt-salience package/);
  });
  it('keeps a set interpreter even when it cannot run, and says why', async () => {
    const choice = await chooseInterpreter([c('missing', 'setting')], probe);
    assert.match(problemWith(choice) ?? '', /does not run \(not found\)/);
    assert.match(problemWith({ candidate: c('old'), probe: probes.old }) ?? '', /needs Python >= 3\.11/);
  });
});

describe('probeInterpreter', () => {
  it('answers for a real interpreter and for a missing one', async () => {
    const missing = await probeInterpreter('/nonexistent/python3');
    assert.equal(missing.runs, false);
    assert.equal(missing.error, 'not found');
    const venv = path.join(repo, '.venv', 'bin', 'python');
    const real = await probeInterpreter(venv);
    if (real.runs) {
      assert.equal(real.hasPackage, true); // scripts/setup.sh installs it there
      assert.ok((real.version?.[0] ?? 0) >= 3);
    }
  });
});

describe('installing the package', () => {
  it('installs a checkout editable, else the bundled wheel, keras-hub first without deps', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ps-test-'));
    try {
      const bundle = path.join(dir, 'bundle');
      mkdirSync(bundle);
      writeFileSync(path.join(bundle, 'prompt_salience-0.1.0-py3-none-any.whl'), '');
      writeFileSync(path.join(bundle, 'no-deps.txt'), 'keras-hub==0.32.0\n');
      const wheel = packageSource(['/nowhere'], bundle);
      assert.ok(wheel);
      assert.equal(wheel.kind, 'wheel');
      assert.deepEqual(installSteps(wheel), [
        ['-m', 'pip', 'install', '--no-deps', '-r', path.join(bundle, 'no-deps.txt')],
        ['-m', 'pip', 'install', path.join(bundle, 'prompt_salience-0.1.0-py3-none-any.whl')],
      ]);
      const checkout = packageSource([repo], bundle);
      assert.ok(checkout);
      assert.equal(checkout.kind, 'checkout');
      assert.deepEqual(installSteps(checkout).pop(), ['-m', 'pip', 'install', '-e', repo]);
      assert.equal(packageSource([], path.join(dir, 'none')), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
