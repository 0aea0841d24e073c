/**
 * The `promptSalience.*` settings as they apply, read with the keys and restrictions of the
 * manifest (settingsManifest.ts): in an untrusted workspace the interpreter, the model and the
 * cache folder come from user settings only, never from the workspace.
 */

import * as vscode from 'vscode';

import { type ServerSettings, SETTINGS_SECTION } from './protocol';
import { applyingValue, type Manifest, restrictedKeys, serverSettingKeys } from './settingsManifest';

export class ExtensionSettings {
  private readonly serverKeys: readonly string[];
  private readonly restricted: ReadonlySet<string>;

  /** `manifest`: the extension's `package.json` (`context.extension.packageJSON`). */
  constructor(manifest: Manifest) {
    this.serverKeys = serverSettingKeys(manifest, SETTINGS_SECTION);
    this.restricted = restrictedKeys(manifest, SETTINGS_SECTION);
  }

  private value(key: string): unknown {
    const inspected = vscode.workspace.getConfiguration(SETTINGS_SECTION).inspect(key);
    return applyingValue(inspected, { restricted: this.restricted.has(key), trusted: vscode.workspace.isTrusted });
  }

  /** The interpreter setting as it applies here (undefined when empty: discover one). */
  interpreter(): string | undefined {
    const value = this.value('interpreter');
    return typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined;
  }

  /** What the server gets as `initializationOptions` and on every configuration change: the
   * values as VS Code reports them (the server checks them and says what is wrong). */
  forServer(): ServerSettings {
    return Object.fromEntries(this.serverKeys.map((key) => [key, this.value(key)]));
  }
}
