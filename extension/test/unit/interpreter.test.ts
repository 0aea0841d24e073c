import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  type Candidate,
  chooseInterpreter,
  interpreterCandidates,
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
  it("then the Python extension, the workspace .venv, the extension's own environment, python3 on PATH", () => {
    const own = '/ws-storage/python-env/bin/python';
    const candidates = interpreterCandidates({ setting: '', pythonExtension: '/x/python', workspaceFolders: ['/ws', '/other'], trusted: true, platform: 'linux', ownEnvironment: own }, exists);
    assert.deepEqual(candidates.map((c) => c.source), ['python-extension', 'workspace-venv', 'extension-env', 'path']);
    assert.equal(candidates[1].command, '/ws/.venv/bin/python');
    assert.equal(candidates[2].command, own);
    assert.equal(candidates[3].command, 'python3');
    const before = interpreterCandidates({ setting: '', pythonExtension: undefined, workspaceFolders: [], trusted: true, ownEnvironment: '/not-made-yet/bin/python' }, exists);
    assert.deepEqual(before.map((c) => c.source), ['path']); // not made yet
  });
  it("takes nothing from an untrusted workspace, but the extension's own environment counts", () => {
    const candidates = interpreterCandidates({ setting: undefined, pythonExtension: '/x/python', workspaceFolders: ['/ws'], trusted: false, ownEnvironment: '/ws-storage/python-env/bin/python' }, exists);
    assert.deepEqual(candidates.map((c) => c.source), ['extension-env', 'path']);
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
