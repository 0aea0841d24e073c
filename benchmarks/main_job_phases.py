"""The main job in phases, in this fresh process, against whichever `prompt_salience` is on the
path (`before_after.py` points PYTHONPATH at an older tree): prints one JSON line of seconds.

Uses only the API both trees share: load_model, Explainer, prepare_prompt, find_span.
"""

from __future__ import annotations

import json
import time

started = time.perf_counter()
from prompt_salience.cache_dir import cache_root  # noqa: E402
from prompt_salience.engine.case_run import prepare_prompt  # noqa: E402
from prompt_salience.engine.explainer import Explainer  # noqa: E402
from prompt_salience.engine.span_selection import find_span  # noqa: E402
from prompt_salience.models.loader import load_model  # noqa: E402
from prompt_salience.models.model_spec import parse_model_spec  # noqa: E402
from prompt_salience.prompt.documents import read_document  # noqa: E402
from prompt_salience.results import CharSpan  # noqa: E402

figures: dict[str, float] = {"imports_s": time.perf_counter() - started}


def lap(name: str, since: float) -> float:
    now = time.perf_counter()
    figures[name] = now - since
    return now


spec = parse_model_spec("gemma3_270m")
mark = time.perf_counter()
model = load_model(spec, precision="float32", cache=cache_root(), report=lambda _: None)
mark = lap("load_s", mark)
explainer = Explainer(model)
document = read_document("prompts/menu-fewshot-mistake.prompt")
prompt = prepare_prompt(document, "quiche-lorraine", chat_setting="off", spec=spec).text
generation = explainer.generate(prompt, 32)
mark = lap("generate_first_s", mark)
explainer.generate(prompt, 32)
mark = lap("generate_second_s", mark)
span = find_span(generation.response, "/Recommendation:.*/")
explainer.explain(generation, span, method="grad_l2", granularity="sentences")
mark = lap("explain_first_s", mark)
first_line = generation.response.split("\n")[0]
other = CharSpan(0, len(first_line))
explainer.explain(generation, other, method="grad_l2", granularity="sentences")
mark = lap("explain_other_span_s", mark)
figures["main_job_in_process_s"] = (
    figures["imports_s"]
    + figures["load_s"]
    + figures["generate_first_s"]
    + figures["explain_first_s"]
)
print(json.dumps(figures))
