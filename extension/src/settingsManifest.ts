/**
 * Which `promptSalience.*` settings the server gets, and which value of each applies, read from
 * the extension's manifest at run time: `contributes.configuration.properties` declares the keys
 * and their defaults (checked against the server's settings declaration by a Python test), and
 * `capabilities.untrustedWorkspaces.restrictedConfigurations` the keys an untrusted workspace may
 * not set. The client holds no list of settings and no default of its own.
 *
 * Does not import `vscode`.
 */

/** Settings only the client reads (the server never sees them). */
export const CLIENT_ONLY_KEYS: readonly string[] = ['interpreter', 'trace.server'];

/** The parts of `package.json` read here (anything else is ignored). */
export interface Manifest {
  contributes?: { configuration?: { properties?: Record<string, unknown> } | { properties?: Record<string, unknown> }[] };
  capabilities?: { untrustedWorkspaces?: { restrictedConfigurations?: unknown } };
}

function declaredProperties(manifest: Manifest): string[] {
  const configuration = manifest.contributes?.configuration;
  const sections = Array.isArray(configuration) ? configuration : configuration === undefined ? [] : [configuration];
  return sections.flatMap((section) => Object.keys(section.properties ?? {}));
}

/** The keys under `section.` (without the prefix), in the manifest's order. */
function keysUnder(names: readonly string[], section: string): string[] {
  const prefix = `${section}.`;
  return names.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length));
}

/** The keys of `section` the server gets: all the manifest declares, less the client-only ones. */
export function serverSettingKeys(manifest: Manifest, section: string): string[] {
  return keysUnder(declaredProperties(manifest), section).filter((key) => !CLIENT_ONLY_KEYS.includes(key));
}

/** The keys of `section` an untrusted workspace may not set (user settings only). */
export function restrictedKeys(manifest: Manifest, section: string): Set<string> {
  const listed = manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations;
  const names = Array.isArray(listed) ? listed.filter((name): name is string => typeof name === 'string') : [];
  return new Set(keysUnder(names, section));
}

/** What `WorkspaceConfiguration.inspect()` reports for one key (the values used here). */
export interface InspectedSetting {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/**
 * The value that applies: the most specific one set (folder, workspace, user, then the
 * manifest's default). A restricted key in an untrusted workspace skips the workspace's values.
 */
export function applyingValue(inspected: InspectedSetting | undefined, options: { restricted: boolean; trusted: boolean }): unknown {
  if (inspected === undefined) {
    return undefined;
  }
  const fromWorkspace = !options.restricted || options.trusted;
  return (fromWorkspace ? (inspected.workspaceFolderValue ?? inspected.workspaceValue) : undefined) ?? inspected.globalValue ?? inspected.defaultValue;
}
