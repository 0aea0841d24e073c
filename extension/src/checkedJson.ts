/**
 * Checked reading of JSON the server sent: each reader names the field that does not have the
 * expected shape (`result.segments[3].ranges[0].start.character should be a whole number`).
 * Does not import `vscode`.
 */

/** What the server sent does not have the shape this module expects. */
export class ProtocolError extends Error {
  constructor(where: string, expected: string, got: unknown) {
    super(`Unexpected message from the Prompt Salience server: ${where} should be ${expected}, got ${describe(got)}.`);
    this.name = 'ProtocolError';
  }
}

function describe(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export type Json = Record<string, unknown>;

export function object(value: unknown, where: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(where, 'an object', value);
  }
  return value as Json;
}

export function string(o: Json, key: string, where: string): string {
  const value = o[key];
  if (typeof value !== 'string') {
    throw new ProtocolError(`${where}.${key}`, 'a string', value);
  }
  return value;
}

export function number(o: Json, key: string, where: string): number {
  const value = o[key];
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new ProtocolError(`${where}.${key}`, 'a number', value);
  }
  return value;
}

export function integer(o: Json, key: string, where: string): number {
  const value = number(o, key, where);
  if (!Number.isInteger(value)) {
    throw new ProtocolError(`${where}.${key}`, 'a whole number', value);
  }
  return value;
}

export function boolean(o: Json, key: string, where: string): boolean {
  const value = o[key];
  if (typeof value !== 'boolean') {
    throw new ProtocolError(`${where}.${key}`, 'true or false', value);
  }
  return value;
}

export function array<T>(o: Json, key: string, where: string, item: (value: unknown, where: string) => T): T[] {
  const value = o[key];
  if (!Array.isArray(value)) {
    throw new ProtocolError(`${where}.${key}`, 'a list', value);
  }
  return value.map((element, i) => item(element, `${where}.${key}[${i}]`));
}

export function optional<T>(o: Json, key: string, read: (o: Json, key: string) => T): T | null {
  return o[key] === undefined || o[key] === null ? null : read(o, key);
}
