import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { installOffer, interpreterCandidates, trustChangesInterpreter } from '../../src/interpreter';

describe('installOffer (no Install button in an untrusted workspace)', () => {
  const problem = 'python3 does not have prompt_salience.';
  it('offers Install when trusted', () => {
    const offer = installOffer(problem, true, true);
    assert.deepEqual(offer.actions, ['Install', 'Choose interpreter', 'Show logs']);
    assert.match(offer.message, /Install it into this interpreter\?/);
  });
  it('does not offer it untrusted, and says how to install from a trusted workspace', () => {
    const offer = installOffer(problem, true, false);
    assert.ok(!offer.actions.includes('Install'));
    assert.match(offer.message, /not trusted/);
    assert.match(offer.message, /Manage Workspace Trust/);
  });
  it('never offers it when the interpreter does not run', () => {
    assert.ok(!installOffer(problem, false, true).actions.includes('Install'));
  });
});

describe('trustChangesInterpreter (tell the server, or restart it)', () => {
  const exists = (file: string): boolean => file.startsWith('/ws');
  const trusted = (pythonExtension?: string) => interpreterCandidates({ setting: '', pythonExtension, workspaceFolders: ['/ws'], trusted: true, platform: 'linux' }, exists);
  it('restarts when the workspace .venv now comes first', () => {
    assert.equal(trustChangesInterpreter('python3', trusted()), true);
  });
  it('only tells the server when the same interpreter would run', () => {
    const none = interpreterCandidates({ setting: '', pythonExtension: undefined, workspaceFolders: [], trusted: true, platform: 'linux' }, exists);
    assert.equal(trustChangesInterpreter('python3', none), false);
  });
  it('restarts when no server runs', () => {
    assert.equal(trustChangesInterpreter(undefined, trusted()), true);
  });
});
