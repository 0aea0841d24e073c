import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CrashPolicy } from '../../src/crashPolicy';

describe('CrashPolicy', () => {
  it('restarts twice within three minutes, then gives up', () => {
    const policy = new CrashPolicy(3, 180000);
    assert.equal(policy.shouldRestart(0), true);
    assert.equal(policy.shouldRestart(1000), true);
    assert.equal(policy.shouldRestart(2000), false);
    assert.equal(policy.recent, 3);
  });

  it('forgets crashes older than the window, and after a reset', () => {
    const policy = new CrashPolicy(3, 180000);
    policy.shouldRestart(0);
    policy.shouldRestart(1000);
    assert.equal(policy.shouldRestart(200000), true, 'the first two are out of the window');
    policy.shouldRestart(200001);
    policy.reset();
    assert.equal(policy.shouldRestart(200002), true);
  });
});
