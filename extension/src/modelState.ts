/**
 * The model's state as the server announces it (`promptSalience/modelState`): loading in the
 * background once a prompt file opens, ready, failed with the reason and its fix, stopped, or
 * idle; once loaded, its device and precision. The server decides the state and its words
 * (the status text names the model, device and precision); this module checks the message and
 * says how the status bar draws it. Does not import `vscode`.
 */

import { object, ProtocolError, string } from './checkedJson';
import type { ServerState } from './server';

export const MODEL_STATE_NOTIFICATION = 'promptSalience/modelState';

export const MODEL_STATES = ['loading', 'ready', 'failed', 'cancelled', 'idle'] as const;
export type ModelStateName = (typeof MODEL_STATES)[number];

export interface ModelStateParams {
  state: ModelStateName;
  /** The model's label ('' when idle). */
  model: string;
  /** A few words for the status bar, e.g. "Loading gemma3_270m…". */
  text: string;
  /** A sentence or two for the tooltip: what happens, or the reason and its fix. */
  detail: string;
  /** The device the loaded model runs on ("CPU" or the accelerator's name), else ''. */
  device: string;
  /** The weights' precision (e.g. "float32"; '' when idle). */
  precision: string;
  /** Which fix the editor offers for a failure ('kaggleCredentials'), else ''. */
  errorKind: string;
}

export function parseModelState(value: unknown): ModelStateParams {
  const where = 'modelState';
  const o = object(value, where);
  const state = string(o, 'state', where);
  if (!(MODEL_STATES as readonly string[]).includes(state)) {
    throw new ProtocolError(`${where}.state`, `one of ${MODEL_STATES.join(', ')}`, state);
  }
  return {
    state: state as ModelStateName,
    model: string(o, 'model', where),
    text: string(o, 'text', where),
    detail: string(o, 'detail', where),
    device: string(o, 'device', where),
    precision: string(o, 'precision', where),
    errorKind: string(o, 'errorKind', where),
  };
}

/** How the status bar draws the server's and the model's state: a codicon, the words (the
 * server's, for the model), the tooltip's sentence, and whether it takes the error background. */
export interface StatusLook {
  icon: string;
  text: string;
  tooltip: string;
  error: boolean;
}

const ICONS: Record<ModelStateName, string> = {
  loading: '$(loading~spin)',
  ready: '$(symbol-color)',
  failed: '$(error)',
  cancelled: '$(circle-slash)',
  idle: '$(symbol-color)',
};

const SERVER_LOOKS: Record<Exclude<ServerState, 'running'>, StatusLook> = {
  starting: { icon: '$(loading~spin)', text: 'starting', tooltip: 'The server is starting.', error: false },
  stopped: { icon: '$(debug-stop)', text: 'stopped', tooltip: 'The server is stopped.', error: false },
  failed: { icon: '$(error)', text: 'server error', tooltip: 'The server stopped; see the logs.', error: true },
};

/** A server that is not running says so; a running one shows the model's state as the server
 * announced it (nothing announced yet: no words of its own). */
export function statusLook(server: ServerState, model: ModelStateParams | undefined): StatusLook {
  if (server !== 'running') {
    return SERVER_LOOKS[server];
  }
  if (model === undefined) {
    return { icon: '$(symbol-color)', text: 'running', tooltip: '', error: false };
  }
  return { icon: ICONS[model.state], text: model.text, tooltip: model.detail, error: model.state === 'failed' };
}
