/**
 * The model picker's list as the server sends it (`promptSalience/models`: the embedded model,
 * keras-hub's Gemma presets marked by whether Kaggle credentials are present, preset folders),
 * and the quick pick's items drawn from it. The server decides what is listed and its words;
 * this module only checks the message and lays the items out. Does not import `vscode`.
 */

import { array, boolean, type Json, object, optional, ProtocolError, string } from './checkedJson';

export const MODELS_REQUEST = 'promptSalience/models'; // {uri?} -> ModelList
export const MODEL_FOLDER_REQUEST = 'promptSalience/checkModelFolder'; // {path} -> ModelChoice
export const MODEL_EDIT_REQUEST = 'promptSalience/modelEdit'; // {uri, model} -> WorkspaceEdit

export const MODEL_KINDS = ['embedded', 'kaggle', 'local'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

export interface ModelChoice {
  /** What the setting or the front-matter holds. */
  model: string;
  kind: ModelKind;
  label: string;
  description: string;
  /** It loads without anything more (a Kaggle preset: credentials are present). */
  available: boolean;
  /** What it needs, in the server's words ('' for the embedded model). */
  note: string;
}

export interface ModelList {
  models: ModelChoice[];
  /** The user settings' model. */
  current: string;
  /** The file's front-matter `model:` (null: none, or ignored because the workspace is untrusted). */
  fileModel: string | null;
  /** Whether the file may choose its model (a trusted workspace's prompt file). */
  fileMayChoose: boolean;
  credentials: boolean;
}

export function parseModelChoice(value: unknown, where = 'modelChoice'): ModelChoice {
  const o = object(value, where);
  const kind = string(o, 'kind', where);
  if (!(MODEL_KINDS as readonly string[]).includes(kind)) {
    throw new ProtocolError(`${where}.kind`, `one of ${MODEL_KINDS.join(', ')}`, kind);
  }
  return {
    model: string(o, 'model', where),
    kind: kind as ModelKind,
    label: string(o, 'label', where),
    description: string(o, 'description', where),
    available: boolean(o, 'available', where),
    note: string(o, 'note', where),
  };
}

export function parseModelList(value: unknown): ModelList {
  const where = 'models';
  const o = object(value, where);
  return {
    models: array(o, 'models', where, parseModelChoice),
    current: string(o, 'current', where),
    fileModel: optional(o, 'fileModel', (json: Json, key: string) => string(json, key, where)),
    fileMayChoose: boolean(o, 'fileMayChoose', where),
    credentials: boolean(o, 'credentials', where),
  };
}

/** The few words the client adds (translated by the caller). */
export interface PickWords {
  embedded: string;
  presets: string;
  folders: string;
  browse: string;
  browseDetail: string;
  /** Marks the model in use, e.g. "current"; "{0}" is where it is set. */
  current: (where: string) => string;
  userSettings: string;
  thisFile: string;
}

/** A quick pick row: a separator, a model, or Browse… (`browse`). */
export interface ModelPickItem {
  label: string;
  description?: string;
  detail?: string;
  separator?: true;
  choice?: ModelChoice;
  browse?: true;
}

const ICONS: Record<ModelKind, string> = { embedded: '$(package)', kaggle: '$(cloud-download)', local: '$(folder)' };
const SECTIONS: Record<ModelKind, keyof PickWords> = { embedded: 'embedded', kaggle: 'presets', local: 'folders' };

/** The quick pick's rows: each kind under its separator, in the server's order; a preset
 * without credentials shows a lock; the model in use says where it is set; Browse… last. */
export function modelPickItems(list: ModelList, words: PickWords): ModelPickItem[] {
  const items: ModelPickItem[] = [];
  let section: ModelKind | undefined;
  for (const choice of list.models) {
    if (choice.kind !== section) {
      section = choice.kind;
      items.push({ label: words[SECTIONS[section]] as string, separator: true });
    }
    const icon = choice.kind === 'kaggle' && !choice.available ? '$(lock)' : ICONS[choice.kind];
    const where = [choice.model === list.current ? words.userSettings : undefined, choice.model === list.fileModel ? words.thisFile : undefined].filter((w) => w !== undefined);
    const marks = [where.length > 0 ? words.current(where.join(', ')) : undefined, choice.note || undefined].filter((w) => w !== undefined);
    items.push({ label: `${icon} ${choice.label}`, description: marks.join(' \u00b7 '), detail: choice.description, choice });
  }
  if (section !== 'local') {
    items.push({ label: words.folders, separator: true });
  }
  items.push({ label: `$(folder-opened) ${words.browse}`, detail: words.browseDetail, browse: true });
  return items;
}

/** Where a choice may go: the user setting always; the file's front-matter when the server
 * says the file may choose (a trusted workspace's prompt file). */
export type ModelTarget = 'user' | 'file';

export function modelTargets(list: ModelList, hasFile: boolean): ModelTarget[] {
  return hasFile && list.fileMayChoose ? ['user', 'file'] : ['user'];
}
