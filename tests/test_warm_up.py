"""The warm-up on the real embedded model: after it, a fresh server's first generation compiles
and loads nothing, and answers the same tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax
import pytest

from prompt_salience.models import traced_programs, warm_up
from prompt_salience.models.language_model import GemmaLM

PROMPT = "Menu: quiche lorraine, grilled cheese.\nI don't like cheese.\nAnswer:"


@pytest.fixture
def compilations() -> Iterator[list[str]]:
    """Every XLA compilation request from here on (from the persistent cache or not)."""
    seen: list[str] = []

    def event(name: str, **kwargs: Any) -> None:
        if name == "/jax/compilation_cache/compile_requests_use_cache":
            seen.append(name)

    def duration(name: str, seconds: float, **kwargs: Any) -> None:
        if name == "/jax/core/compile/backend_compile_duration":
            seen.append(name)

    jax.monitoring.register_event_listener(event)
    jax.monitoring.register_event_duration_secs_listener(duration)
    yield seen
    jax.monitoring.unregister_event_listener(event)
    jax.monitoring.unregister_event_duration_listener(duration)


def test_after_warm_up_the_first_generation_compiles_nothing(
    real_model: Any, monkeypatch: pytest.MonkeyPatch, compilations: list[str]
) -> None:
    ids = [real_model.tokenizer.bos_id, *real_model.tokenizer.encode(PROMPT).ids]
    # A server that ran this prompt: the programs it loaded are this prompt's.
    monkeypatch.setattr(traced_programs, "_LOADED", {})
    expected = GemmaLM(real_model.backbone, real_model.tokenizer, real_model.info).generate(ids, 12)
    used = set(traced_programs._LOADED)
    assert {path.stem.split("-")[0] for path in used} == {"prefill", "decode"}
    # Others share this machine's cache: warm this prompt's programs, whatever ran since.
    every = traced_programs.recent_programs
    monkeypatch.setattr(
        warm_up, "recent_programs", lambda w, n: [p for p in every(w, 99) if p in used]
    )
    # The server restarts: nothing loaded in the process, a new model object on the same weights.
    monkeypatch.setattr(traced_programs, "_LOADED", {})
    fresh = GemmaLM(real_model.backbone, real_model.tokenizer, real_model.info)
    warmed = warm_up.warm_up(fresh, None)
    assert sorted(warmed) == sorted(path.stem for path in used)
    compilations.clear()
    assert fresh.generate(ids, 12) == expected
    assert compilations == []


def test_without_warm_up_the_first_generation_compiles(
    real_model: Any, monkeypatch: pytest.MonkeyPatch, compilations: list[str]
) -> None:
    """The check above can fail: the same steps without the warm-up do compile."""
    ids = [real_model.tokenizer.bos_id, *real_model.tokenizer.encode(PROMPT).ids]
    expected = real_model.generate(ids, 12)
    monkeypatch.setattr(traced_programs, "_LOADED", {})
    fresh = GemmaLM(real_model.backbone, real_model.tokenizer, real_model.info)
    compilations.clear()
    assert fresh.generate(ids, 12) == expected
    assert compilations != []


def test_the_programs_a_click_runs_are_warmed_first(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """No model: the most recent programs come back prefetch first (they ran last); the warm-up
    compiles and runs generation and the gradient pass before them, and a cancel between the
    two groups leaves the click's programs warmed."""
    from pathlib import Path
    from types import SimpleNamespace

    recent = [
        Path(tmp_path / f"{name}-0123abcd.jaxexport")
        for name in ("token_rows", "span_gradients", "token_gradients", "decode", "prefill")
    ]
    calls: list[str] = []

    def fake_preload(path: Path, weights: Any) -> Any:
        calls.append(f"compile {path.stem.split('-')[0]}")
        return lambda: calls.append(f"run {path.stem.split('-')[0]}")

    monkeypatch.setattr(warm_up, "recent_programs", lambda weights, per_name: recent)
    monkeypatch.setattr(warm_up, "preload", fake_preload)
    warm_up.warm_up(SimpleNamespace(weights=[]))
    click = ["prefill", "decode", "token_gradients"]
    assert calls[:6] == [f"compile {n}" for n in click] + [f"run {n}" for n in click]
    assert sorted(calls[6:]) == sorted(
        f"{verb} {n}" for verb in ("compile", "run") for n in ("token_rows", "span_gradients")
    )
