import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { MODEL_STATES, type ModelStateParams, parseModelState, statusLook } from '../../src/modelState';
import { ProtocolError } from '../../src/checkedJson';

/** What the real server sends (tests/lsp/test_preload.py checks the server's side). */
const ANNOUNCED: Record<string, ModelStateParams> = {
  loading: { state: 'loading', model: 'gemma3_270m', text: 'loading gemma3_270m\u2026', detail: 'Loading in the background, ahead of the first run; a run waits for it instead of loading the model again.', device: '', precision: 'float32', errorKind: '' },
  ready: { state: 'ready', model: 'gemma3_270m', text: 'ready (gemma3_270m \u00b7 CPU \u00b7 float32)', detail: 'gemma3_270m is loaded, on CPU in float32: a run does not wait for a load.', device: 'CPU', precision: 'float32', errorKind: '' },
  failed: { state: 'failed', model: 'missing', text: 'load failed (missing)', detail: '/nonexistent/preset is not a keras-hub preset folder (no config.json). Fix: Give a folder written by `save_to_preset`, or a preset name.', device: '', precision: '', errorKind: '' },
  cancelled: { state: 'cancelled', model: 'b', text: 'load stopped (b)', detail: 'Stopped: the settings name another model.', device: '', precision: 'float32', errorKind: '' },
  idle: { state: 'idle', model: '', text: 'no model loaded', detail: 'The model loads when a prompt file opens.', device: '', precision: '', errorKind: '' },
};

describe("the server's model state", () => {
  it('reads each state the server announces', () => {
    for (const state of MODEL_STATES) {
      assert.deepEqual(parseModelState(JSON.parse(JSON.stringify(ANNOUNCED[state]))), ANNOUNCED[state]);
    }
  });

  it('refuses a state it does not know, naming the field', () => {
    assert.throws(() => parseModelState({ ...ANNOUNCED.ready, state: 'warming' }), (error: Error) => error instanceof ProtocolError && /modelState\.state should be one of loading, ready/.test(error.message));
    assert.throws(() => parseModelState({ state: 'ready', model: 'm', text: 't' }), /modelState\.detail should be a string/);
    const withoutDevice = Object.fromEntries(Object.entries(ANNOUNCED.ready).filter(([key]) => key !== 'device'));
    assert.throws(() => parseModelState(withoutDevice), /modelState\.device should be a string/);
  });
});

describe('the status bar drawing', () => {
  it("draws each model state in the server's words, with its own icon", () => {
    const looks = MODEL_STATES.map((state) => statusLook('running', ANNOUNCED[state]));
    assert.deepEqual(
      looks.map((look) => look.text),
      MODEL_STATES.map((state) => ANNOUNCED[state].text),
    );
    assert.deepEqual(
      looks.map((look) => look.tooltip),
      MODEL_STATES.map((state) => ANNOUNCED[state].detail),
    );
    assert.equal(statusLook('running', ANNOUNCED.loading).icon, '$(loading~spin)');
    assert.equal(statusLook('running', ANNOUNCED.failed).icon, '$(error)');
    assert.equal(statusLook('running', ANNOUNCED.cancelled).icon, '$(circle-slash)');
    assert.equal(statusLook('running', ANNOUNCED.ready).icon, '$(symbol-color)');
  });

  it('shows the device and precision the server names for a loaded model', () => {
    const look = statusLook('running', ANNOUNCED.ready);
    assert.match(look.text, /^ready \(gemma3_270m \u00b7 CPU \u00b7 float32\)$/);
    assert.match(look.tooltip, /on CPU in float32/);
  });

  it('takes the error background for a failed load only', () => {
    const errors = MODEL_STATES.filter((state) => statusLook('running', ANNOUNCED[state]).error);
    assert.deepEqual(errors, ['failed']);
  });

  it("shows the server's own state while it is not running, whatever the model's was", () => {
    assert.equal(statusLook('starting', ANNOUNCED.ready).text, 'starting');
    assert.equal(statusLook('stopped', ANNOUNCED.loading).text, 'stopped');
    const failed = statusLook('failed', ANNOUNCED.ready);
    assert.equal(failed.text, 'server error');
    assert.ok(failed.error);
  });

  it('has no words of its own for the model before the server announces one', () => {
    const look = statusLook('running', undefined);
    assert.equal(look.text, 'running');
    assert.equal(look.tooltip, '');
    assert.ok(!look.error);
  });
});
