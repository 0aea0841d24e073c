/**
 * The `promptSalience.*` settings as they apply: in an untrusted workspace the interpreter,
 * the model and the cache folder come from user settings only, never from the workspace.
 */

import * as vscode from 'vscode';

import { DEFAULT_INTENSITY } from './colourBuckets';
import { type ServerSettings, SETTINGS_SECTION } from './protocol';

/** Settings a workspace may not choose while untrusted (see also `restrictedConfigurations`). */
const RESTRICTED = new Set(['interpreter', 'model', 'cacheDir']);

function setting<T>(key: string, fallback: T): T {
  const config = vscode.workspace.getConfiguration(SETTINGS_SECTION);
  if (RESTRICTED.has(key) && !vscode.workspace.isTrusted) {
    const inspected = config.inspect<T>(key);
    return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
  }
  return config.get<T>(key, fallback);
}

/** The interpreter setting as it applies here (empty: discover one). */
export function interpreterSetting(): string | undefined {
  const value = setting<string>('interpreter', '').trim();
  return value.length > 0 ? value : undefined;
}

export function intensitySetting(): number {
  const value = setting<number>('intensity', DEFAULT_INTENSITY);
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : DEFAULT_INTENSITY;
}

/** What the server gets as `initializationOptions` and on every configuration change. */
export function serverSettings(): ServerSettings {
  const cacheDir = setting<string>('cacheDir', '').trim();
  return {
    model: setting<string>('model', 'gemma3_270m'),
    precision: setting<string>('precision', 'float32'),
    maxNewTokens: setting<number>('maxNewTokens', 32),
    method: setting<string>('method', 'grad_l2'),
    granularity: setting<string>('granularity', 'words'),
    cacheDir: cacheDir.length > 0 ? cacheDir : null,
    maxLength: setting<number>('maxLength', 2048),
    chatTemplate: setting<string>('chatTemplate', 'auto'),
    intensity: intensitySetting(),
  };
}
