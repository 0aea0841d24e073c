"""The server's single model worker: one thread owns the model; jobs run one at a time.

Never pygls's thread pool (it also reads stdin). The event loop awaits jobs with
`run_in_executor`, so it keeps answering hovers and CodeLens while a model loads or runs.
Jobs stop early through a `threading.Event` they check between steps.

Background jobs (work nobody asked for yet, e.g. span prefetch) have the lowest priority: any
job submitted after them sets their cancel event, so they stop at their next check, which they
make between jitted calls. A foreground job thus waits for at most one such call.
"""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..cache_dir import cache_root
from ..errors import Cancelled
from ..models.model_spec import ModelSpec

T = TypeVar("T")
Report = Callable[[str], None]


@dataclass(frozen=True)
class ModelKey:
    """What decides which weights are loaded: changing any of these reloads the model."""

    spec: ModelSpec
    precision: str
    cache_dir: str | None

    @property
    def cache(self) -> Path:
        return cache_root(self.cache_dir)


@dataclass(frozen=True)
class LoadedTokenizer:
    """The loaded model's tokenizer and context, for token counts at typing speed."""

    key: ModelKey
    tokenizer: Any  # models.tokenizer.GemmaTokenizer
    context_length: int


class ModelWorker:
    """Owns the loaded model. `explainer()` may only be called from inside a job."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prompt-model")
        self._key: ModelKey | None = None
        self._explainer: Any = None  # explain.Explainer
        self.loaded: LoadedTokenizer | None = None  # read from the event loop
        self._background: set[threading.Event] = set()  # touched on the event loop only

    @property
    def loaded_key(self) -> ModelKey | None:
        return self._key

    async def submit(self, job: Callable[[], T]) -> T:
        """Run `job` on the worker thread, after the jobs queued before it; background jobs
        in flight or queued stop first."""
        for cancel in self._background:
            cancel.set()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, job)

    async def submit_background(self, job: Callable[[threading.Event], T]) -> T:
        """Run `job(cancel)` on the worker thread at the lowest priority: `cancel` is set as
        soon as another job is submitted (then `job` should raise Cancelled at its next check);
        a job cancelled while queued never starts."""
        cancel = threading.Event()
        self._background.add(cancel)

        def guarded() -> T:
            if cancel.is_set():
                raise Cancelled()
            return job(cancel)

        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, guarded)
        finally:
            cancel.set()  # if this task was cancelled, the worker must stop too
            self._background.discard(cancel)

    def explainer(
        self, key: ModelKey, max_length: int, report: Report, cancel: threading.Event | None
    ) -> Any:
        """The Explainer for `key`, loading it first (once) when another or none is loaded."""
        if self._key != key or self._explainer is None:
            if cancel is not None and cancel.is_set():
                raise Cancelled()
            self.unload()
            from ..engine.explainer import Explainer
            from ..models.loader import load_model

            model = load_model(key.spec, precision=key.precision, cache=key.cache, report=report)
            self._explainer = Explainer(model, max_length=max_length)
            self._key = key
            self.loaded = LoadedTokenizer(key, model.tokenizer, int(model.info.context_length))
        self._explainer.max_length = max_length
        return self._explainer

    def unload(self) -> None:
        """Forget the loaded model (inside a job), so a new one does not sit beside it."""
        self._explainer = None
        self._key = None
        self.loaded = None
        gc.collect()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
