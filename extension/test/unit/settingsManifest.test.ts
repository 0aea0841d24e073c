import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { applyingValue, CLIENT_ONLY_KEYS, type Manifest, restrictedKeys, serverSettingKeys } from '../../src/settingsManifest';

/** The extension's own manifest (tests run compiled, from build/unit/test/unit). */
const MANIFEST = JSON.parse(readFileSync(path.resolve(__dirname, '..', '..', '..', '..', 'package.json'), 'utf8')) as Manifest & {
  contributes: { configuration: { properties: Record<string, { default?: unknown }> } };
  capabilities: { untrustedWorkspaces: { restrictedConfigurations: string[] } };
};

describe('the settings the server gets (from package.json)', () => {
  const declared = Object.keys(MANIFEST.contributes.configuration.properties);
  const keys = serverSettingKeys(MANIFEST, 'promptSalience');

  it('sends every declared promptSalience key but the client-only ones, in camelCase', () => {
    assert.deepEqual(
      keys.map((key) => `promptSalience.${key}`),
      declared.filter((name) => !CLIENT_ONLY_KEYS.some((key) => name === `promptSalience.${key}`)),
    );
    assert.ok(keys.includes('method') && keys.includes('maxNewTokens'), keys.join(', '));
    assert.ok(keys.every((key) => /^[a-z][A-Za-z]*$/.test(key)), keys.join(', '));
  });

  it('keeps the client-only keys to itself, and every client-only key is declared', () => {
    for (const key of CLIENT_ONLY_KEYS) {
      assert.ok(declared.includes(`promptSalience.${key}`), key);
      assert.ok(!keys.includes(key), key);
    }
  });

  it("restricts exactly the manifest's restrictedConfigurations in untrusted workspaces", () => {
    const restricted = restrictedKeys(MANIFEST, 'promptSalience');
    assert.deepEqual(
      [...restricted].map((key) => `promptSalience.${key}`),
      MANIFEST.capabilities.untrustedWorkspaces.restrictedConfigurations,
    );
    assert.ok(restricted.has('interpreter') && restricted.has('model'));
  });

  it('reads nothing from other sections or a manifest without settings', () => {
    const other: Manifest = { contributes: { configuration: [{ properties: { 'other.model': {} } }, { properties: { 'promptSalience.model': {} } }] } };
    assert.deepEqual(serverSettingKeys(other, 'promptSalience'), ['model']);
    assert.deepEqual(serverSettingKeys({}, 'promptSalience'), []);
    assert.equal(restrictedKeys({}, 'promptSalience').size, 0);
  });
});

describe('the value that applies', () => {
  const inspected = { defaultValue: 'gemma3_270m', globalValue: 'user-model', workspaceValue: 'workspace-model' };

  it('takes the most specific value set, else the default', () => {
    assert.equal(applyingValue(inspected, { restricted: false, trusted: false }), 'workspace-model');
    assert.equal(applyingValue({ ...inspected, workspaceFolderValue: 'folder-model' }, { restricted: false, trusted: true }), 'folder-model');
    assert.equal(applyingValue({ defaultValue: 32 }, { restricted: false, trusted: true }), 32);
    assert.equal(applyingValue({ defaultValue: 0.4, globalValue: 0 }, { restricted: false, trusted: true }), 0, 'a falsy value still counts');
    assert.equal(applyingValue(undefined, { restricted: false, trusted: true }), undefined);
  });

  it("ignores the workspace's value of a restricted key until the workspace is trusted", () => {
    assert.equal(applyingValue(inspected, { restricted: true, trusted: false }), 'user-model');
    assert.equal(applyingValue({ defaultValue: '', workspaceValue: '/tmp/evil/python' }, { restricted: true, trusted: false }), '');
    assert.equal(applyingValue(inspected, { restricted: true, trusted: true }), 'workspace-model');
  });
});
