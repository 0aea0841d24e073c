/**
 * Kaggle credentials as the extension keeps them (one SecretStorage entry) and hands them to
 * the server: in its environment, as KAGGLE_USERNAME and KAGGLE_KEY, never in settings or
 * files. Also which server errors offer the "Set Kaggle credentials" button: the server marks
 * them (`data.kind`, or a failed model state's `errorKind`). Does not import `vscode`.
 */

/** The SecretStorage key of the stored credentials (JSON `{username, key}`). */
export const KAGGLE_SECRET = 'promptSalience.kaggleCredentials';
/** The error kind the server gives a missing, unreadable or refused Kaggle credential. */
export const KAGGLE_CREDENTIALS_KIND = 'kaggleCredentials';

export interface KaggleCredentials {
  username: string;
  key: string;
}

/** The stored credentials, if the secret holds a well-formed pair (else none). */
export function readStored(secret: string | undefined): KaggleCredentials | undefined {
  if (secret === undefined) {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(secret);
    if (typeof value === 'object' && value !== null && 'username' in value && 'key' in value) {
      const { username, key } = value;
      if (typeof username === 'string' && typeof key === 'string' && username !== '' && key !== '') {
        return { username, key };
      }
    }
  } catch {
    // an unreadable secret counts as none: the user sets them again
  }
  return undefined;
}

export function storedForm(credentials: KaggleCredentials): string {
  return JSON.stringify({ username: credentials.username, key: credentials.key });
}

/** What is wrong with a typed username or key (else undefined): both are single words. */
export function credentialProblem(what: 'username' | 'key', value: string): string | undefined {
  if (value.trim() === '') {
    return `Type your Kaggle ${what}.`;
  }
  if (/\s/.test(value.trim())) {
    return `A Kaggle ${what} has no spaces.`;
  }
  return undefined;
}

/** The server's environment: the editor's, with the stored credentials (when any) as
 * KAGGLE_USERNAME and KAGGLE_KEY. Without stored ones the editor's own variables (if any) stay. */
export function serverEnvironment(base: NodeJS.ProcessEnv, credentials: KaggleCredentials | undefined): NodeJS.ProcessEnv {
  if (credentials === undefined) {
    return { ...base };
  }
  return { ...base, KAGGLE_USERNAME: credentials.username, KAGGLE_KEY: credentials.key };
}

/** Whether an error the server answered is one whose fix is setting Kaggle credentials. */
export function needsCredentials(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('data' in error)) {
    return false;
  }
  const data = error.data;
  return typeof data === 'object' && data !== null && 'kind' in data && data.kind === KAGGLE_CREDENTIALS_KIND;
}
