"""Load ahead of the click, and the one voice of the model's state.

Once a prompt file is open, the model the settings name loads on the model worker in the
background, so the first run finds it loaded. Whoever loads a model (a preload or a run),
`promptSalience/modelState` says so: the server decides the state and its words, the editor
draws them in its status bar.

- A run for the same model queues behind the preload on the single worker: it waits for it
  instead of loading a second copy, and its cancel stops only the run, never the preload.
- A run for another model (named by a file's front-matter) stops the preload, which would
  only delay it. So does a settings change that names another model, precision or cache
  folder, or turns `preloadModel` off; a new preload then starts for the new model.
- The loader has no cancel of its own: a preload stops at its next step (its next progress
  report). The converted model is written atomically, so stopping never leaves half a cache.
- Once loaded (state `ready`), the model is warmed up in a job of its own (`models/warm_up.py`:
  the stored programs it used last, so the first run is as fast as the next), as the worker's
  background work: any job submitted later (a run, a new preload) stops it between two
  programs, so a click never waits for more.
- Only the model the user's or workspace's settings name is preloaded, never one that a file's
  front-matter names: opening a file must not make the server load (or fetch) what it asks for.
- A preload never takes the server down: a failure is a state and a log line; the user's own
  run then shows the usual problem and fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import Cancelled, PromptSalienceError
from ..missing_module import missing_module_error
from ..models.model_catalogue import device_name
from ..models.model_spec import parse_model_spec
from ..prompt.foreign_formats import ForeignFileError
from .model_choices import error_kind
from .protocol import MODEL_STATE_NOTIFICATION, ModelStateParams

if TYPE_CHECKING:
    from ..settings import Settings
    from .language_server import PromptSalienceServer
    from .progress import WorkProgress
    from .worker import ModelKey

logger = logging.getLogger(__name__)

# The settings that decide what a preload loads, or whether it does.
PRELOAD_SETTINGS = ("model", "precision", "cache_dir", "preload_model")


# -- the states, in words -------------------------------------------------------------------
def loading_state(key: ModelKey, detail: str) -> ModelStateParams:
    label = key.spec.label
    return ModelStateParams("loading", label, f"loading {label}…", detail, "", key.precision, "")


def ready_state(key: ModelKey) -> ModelStateParams:
    """The model, its device and its precision: what a run will use (called once loaded)."""
    label = key.spec.label
    device = device_name()
    detail = f"{label} is loaded, on {device} in {key.precision}: a run does not wait for a load."
    text = f"ready ({label} · {device} · {key.precision})"
    return ModelStateParams("ready", label, text, detail, device, key.precision, "")


def failed_state(label: str, error: BaseException) -> ModelStateParams:
    if isinstance(error, ModuleNotFoundError):
        error = missing_module_error(error)
    if isinstance(error, PromptSalienceError):
        reason = error.one_line()
    else:
        reason = (
            f"{type(error).__name__}: {error}. Fix: see the server's log; a run tries again "
            "and says what to do."
        )
    return ModelStateParams(
        "failed", label, f"load failed ({label})", reason, "", "", error_kind(error)
    )


def cancelled_state(key: ModelKey, why: str) -> ModelStateParams:
    label = key.spec.label
    return ModelStateParams(
        "cancelled", label, f"load stopped ({label})", f"Stopped: {why}.", "", key.precision, ""
    )


def idle_state(preloading: bool) -> ModelStateParams:
    when = (
        "when a prompt file opens"
        if preloading
        else "at the first run (promptSalience.preloadModel is off)"
    )
    return ModelStateParams("idle", "", "no model loaded", f"The model loads {when}.", "", "", "")


@dataclass(eq=False)
class _Preload:
    """One preload: its model and its stop signal (the epoch of the state that stopped it)."""

    key: ModelKey
    cancel: threading.Event = field(default_factory=threading.Event)
    stopped_at: int | None = None


class Preloader:
    """Starts, stops and reports preloads; reports the loads of runs too.

    Methods say where they run: on the event loop, or (`run_load`) on the model worker."""

    def __init__(self, server: PromptSalienceServer) -> None:
        self._server = server
        self._loop: asyncio.AbstractEventLoop | None = None
        self._current: _Preload | None = None  # the preload in flight
        self._epoch = 0  # announcements so far: a preload shows its outcome if none came since
        self._tasks: set[asyncio.Task[None]] = set()
        self.state: ModelStateParams | None = None  # the last state sent

    # -- triggers (event loop) ----------------------------------------------------------------
    def session_started(self) -> None:
        """Say that nothing is loaded yet, and when the model will load."""
        self._on_loop()
        self._announce(idle_state(self._server.settings.preload_model))

    def document_opened(self) -> None:
        """A prompt file opened: preload the configured model, if the settings say so."""
        if self._server.settings.preload_model:
            self.start()

    def settings_changed(self, previous: Settings) -> None:
        """Stop a preload the new settings do not want; start the one they want (when a prompt
        file is open or a model is loaded)."""
        settings = self._server.settings
        if all(getattr(previous, name) == getattr(settings, name) for name in PRELOAD_SETTINGS):
            return
        self._on_loop()
        current = self._current
        if current is not None and not settings.preload_model:
            self._stop(current, "preloading was turned off (promptSalience.preloadModel)")
        ours = any(
            not isinstance(self._server.parse(d).error, ForeignFileError)
            for d in self._server.documents.values()
        )
        wanted = ours or self._server.worker.loaded_key or self._current
        if settings.preload_model and wanted:
            self.start()

    def start(self) -> None:
        """Preload the model the settings name, unless it is loaded or loading already."""
        self._on_loop()
        settings = self._server.settings
        try:
            key = self._server.model_key(parse_model_spec(settings.model), settings.precision)
        except PromptSalienceError as error:  # the settings reader refuses these: belt and braces
            self._announce(failed_state(settings.model, error))
            return
        current = self._current
        if current is not None:
            if current.key == key and not current.cancel.is_set():
                return
            self._stop(current, "the settings name another model")
        if self._server.worker.loaded_key == key:
            self._announce(ready_state(key))
            return
        preload = _Preload(key)
        self._current = preload
        epoch = self._announce(
            loading_state(
                key,
                "Loading in the background, ahead of the first run; a run waits for it "
                "instead of loading the model again.",
            )
        )
        task = asyncio.ensure_future(self._run(preload, epoch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def make_way(self, key: ModelKey) -> None:
        """A run needs `key`: stop a preload of another model (it would only delay the run)."""
        self._on_loop()
        current = self._current
        if current is not None and current.key != key:
            self._stop(current, f"a run needs {key.spec.label}")

    def tell_waiting(self, progress: WorkProgress) -> None:
        """Say in a run's progress that it waits for the preload in flight (no second load)."""
        self._on_loop()
        current = self._current
        if current is not None and not current.cancel.is_set():
            label = current.key.spec.label
            progress.report(f"Loading {label} (in the background; this run waits for it)", 0)

    def shutdown(self) -> None:
        """Stop the preload in flight at its next step, so the process can leave."""
        if self._current is not None:
            self._current.cancel.set()

    # -- a run's own load (model worker) -------------------------------------------------------
    @contextlib.contextmanager
    def run_load(self, key: ModelKey, *, needed: bool) -> Iterator[None]:
        """Around a run's call for its model: when it must load it (`needed`), the state says
        loading, then ready, failed, or what is loaded after a cancel."""
        if not needed:
            yield
            return
        self._from_worker(loading_state(key, "A run needs it; it stays loaded after."))
        try:
            yield
        except Cancelled:
            self._from_worker(self._loaded_state())
            raise
        except BaseException as error:
            self._from_worker(failed_state(key.spec.label, error))
            raise
        self._from_worker(ready_state(key))

    # -- the preload job ------------------------------------------------------------------------
    async def _run(self, preload: _Preload, epoch: int) -> None:
        label = preload.key.spec.label
        loaded = False
        try:
            loaded = await self._server.worker.submit(lambda: self._load(preload))
        except Exception as error:
            if preload.cancel.is_set():  # stopped (the loader may wrap what our report raised)
                logger.info("Preloading %s stopped", label)
                self._loaded_anyway(preload)
            else:
                logger.warning("Preloading %s failed: %s", label, error)
                self._settle(epoch, failed_state(label, error))
        else:
            logger.info("Preloaded %s", label)
            self._settle(epoch, ready_state(preload.key))
            self._loaded_anyway(preload)
        finally:
            if self._current is preload:
                self._current = None
        if loaded and not preload.cancel.is_set():
            await self._warm_up(preload.key)

    async def _warm_up(self, key: ModelKey) -> None:
        """Warm the model up as background work, after the load: a run that waited for the load
        goes first, and any job submitted later (a run, a new preload) stops it."""
        worker = self._server.worker

        def job(stop: threading.Event) -> None:
            if worker.loaded_key != key:
                return
            loaded = worker.explainer(key, self._server.settings.max_length, _quiet, stop)
            warm_up(loaded.model, stop)

        try:
            await worker.submit_background(job)
        except Cancelled:
            logger.info("Warm-up stopped: other work came")
        except Exception:
            logger.warning("Warm-up failed; the model is loaded all the same", exc_info=True)

    def _load(self, preload: _Preload) -> bool:
        """(Model worker) Load the model; stop at a step once cancelled. Whether it loaded it
        (False: a run loaded it meanwhile)."""
        cancel = preload.cancel
        if cancel.is_set():
            raise Cancelled()
        worker = self._server.worker
        if worker.loaded_key == preload.key:
            return False

        def report(message: str) -> None:
            if cancel.is_set():
                raise Cancelled()  # the loader has no cancel: stop it at its next step
            logger.info("Preload: %s", message)

        worker.explainer(preload.key, self._server.settings.max_length, report, cancel)
        return True

    def _loaded_anyway(self, preload: _Preload) -> None:
        """A stopped preload that finished its load anyway: say the model is ready, if nothing
        was announced since the stop."""
        quiet = preload.stopped_at == self._epoch
        if quiet and self._server.worker.loaded_key == preload.key:
            self._announce(ready_state(preload.key))

    # -- announcing -----------------------------------------------------------------------------
    def _stop(self, preload: _Preload, why: str) -> None:
        preload.cancel.set()
        logger.info("Stopping the preload of %s: %s", preload.key.spec.label, why)
        preload.stopped_at = self._announce(cancelled_state(preload.key, why))
        if self._current is preload:
            self._current = None

    def _loaded_state(self) -> ModelStateParams:
        loaded = self._server.worker.loaded_key
        if loaded is None:
            return idle_state(self._server.settings.preload_model)
        return ready_state(loaded)

    def _announce(self, state: ModelStateParams) -> int:
        """Send `state` (unless it is the one shown); the epoch of the newest announcement."""
        self._epoch += 1
        if state != self.state:
            self.state = state
            self._server.protocol.notify(MODEL_STATE_NOTIFICATION, state)
        return self._epoch

    def _settle(self, epoch: int, state: ModelStateParams) -> None:
        """A preload's outcome: shown only if nothing was announced since it started."""
        if epoch == self._epoch:
            self._announce(state)

    def _from_worker(self, state: ModelStateParams) -> None:
        """Announce `state` on the event loop (called from the model worker)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._announce, state)

    def _on_loop(self) -> None:
        self._loop = asyncio.get_running_loop()


def _quiet(message: str) -> None:
    """A load report that says nothing (the warm-up job never loads)."""


def warm_up(model: Any, cancel: threading.Event) -> None:
    """(Model worker) Compile and run once the stored programs the model used last
    (`models/warm_up.py`), so the first run is as fast as the next; `cancel` stops it between
    programs. A failure is logged only: the model is loaded, and a run works without it."""
    from ..models.warm_up import warm_up as warm_up_programs  # imports JAX: on the worker only

    try:
        warmed = warm_up_programs(model, cancel)
        logger.info("Warmed up: %s", ", ".join(warmed) if warmed else "nothing stored yet")
    except Exception:
        logger.warning("Warm-up failed; the model is loaded all the same", exc_info=True)
