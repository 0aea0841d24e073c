import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { credentialProblem, KAGGLE_CREDENTIALS_KIND, needsCredentials, readStored, serverEnvironment, storedForm } from '../../src/kaggleEnv';

const ADA = { username: 'ada', key: '0123456789abcdef0123456789abcdef' };

describe('Kaggle credentials for the server', () => {
  it("puts the stored credentials in the server's environment, over the editor's", () => {
    const base = { PATH: '/usr/bin', KAGGLE_USERNAME: 'old', KAGGLE_KEY: 'old-key' };
    const env = serverEnvironment(base, ADA);
    assert.equal(env.KAGGLE_USERNAME, 'ada');
    assert.equal(env.KAGGLE_KEY, ADA.key);
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(base.KAGGLE_USERNAME, 'old', "the editor's own environment is left alone");
  });

  it("keeps the editor's environment as it is when none are stored", () => {
    assert.deepEqual(serverEnvironment({ PATH: '/usr/bin' }, undefined), { PATH: '/usr/bin' });
    assert.equal(serverEnvironment({}, undefined).KAGGLE_KEY, undefined);
  });

  it('reads back what it stores, and nothing from a damaged secret', () => {
    assert.deepEqual(readStored(storedForm(ADA)), ADA);
    for (const damaged of [undefined, '', 'not json', '{"username":"ada"}', '{"username":"","key":"k"}', '[1]']) {
      assert.equal(readStored(damaged), undefined, String(damaged));
    }
  });

  it('asks again for an empty or spaced username or key', () => {
    assert.equal(credentialProblem('username', 'ada'), undefined);
    assert.match(credentialProblem('username', '  ') ?? '', /Type your Kaggle username/);
    assert.match(credentialProblem('key', 'a b') ?? '', /no spaces/);
  });
});

describe('the errors that offer the Set Kaggle credentials button', () => {
  it('are those the server marks with the credentials kind', () => {
    assert.ok(needsCredentials({ code: -32803, message: 'needs Kaggle credentials', data: { kind: KAGGLE_CREDENTIALS_KIND } }));
    assert.ok(!needsCredentials({ code: -32803, message: 'x' }));
    assert.ok(!needsCredentials({ code: -32803, data: { kind: 'other' } }));
    assert.ok(!needsCredentials({ code: -32803, data: null }));
    assert.ok(!needsCredentials('error'));
  });
});
