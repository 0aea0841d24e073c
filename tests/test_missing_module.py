"""A module that is not installed is said in one line, with the command that installs it
(issue 10, defect 7): in the CLI, whether the module is missing when a model loads (keras_hub)
or when the CLI itself imports (rich), and when the language server starts (pygls).

The module is made unimportable the way Python allows: `sys.modules[name] = None` makes
`import name` raise ModuleNotFoundError, with `name` set, as a missing install does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROMPT = ROOT / "prompts" / "menu-fewshot-mistake.prompt"


def _run_without(module: str, code: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = f"import sys\nsys.modules[{module!r}] = None\n{code}"
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=300
    )


CLI = "from prompt_salience.cli import main\nsys.exit(main(sys.argv[1:]))"


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr[-2000:]
    assert "Traceback" not in stderr, stderr[-2000:]
    return lines[0]


@pytest.mark.model  # reaches the model load (the embedded model's files are read first)
def test_the_cli_names_a_module_missing_at_model_load_and_the_pinned_install() -> None:
    done = _run_without("keras_hub", CLI, "run", str(PROMPT), "--max-new-tokens", "2")
    assert done.returncode == 1
    line = _one_line(done.stderr)
    assert f"The Python module 'keras_hub' is not installed in {sys.executable}." in line
    assert f"{sys.executable} -m pip install keras-hub==0.32.0" in line


def test_the_cli_names_a_module_missing_at_its_own_import() -> None:
    done = _run_without("rich", CLI, "--version")
    assert done.returncode == 1
    line = _one_line(done.stderr)
    assert "The Python module 'rich' is not installed" in line
    assert "-m pip install 'rich>=13'" in line


def test_the_language_server_names_a_missing_module_and_exits() -> None:
    code = "from prompt_salience.server import main\nsys.exit(main())"
    done = _run_without("pygls", code)
    assert done.returncode == 1
    line = _one_line(done.stderr)
    assert "The Python module 'pygls' is not installed" in line
    assert "-m pip install 'pygls" in line  # as declared: the version range of pyproject.toml


def test_a_missing_module_leaves_the_fast_copy_of_the_model_in_place(real_model: Any) -> None:
    """A broken install must not cost the cache: the fast copy was discarded as 'damaged'."""
    from prompt_salience.cache_dir import cache_root
    from prompt_salience.models import weight_store
    from prompt_salience.models.embedded import embedded_preset_dir

    cache = cache_root()
    folder = weight_store.store_folder(cache, embedded_preset_dir(cache).name, "float32")
    assert (folder / weight_store.COMPLETE).is_file()  # kept by the session's load
    done = _run_without("keras_hub", CLI, "run", str(PROMPT), "--max-new-tokens", "2")
    assert "'keras_hub' is not installed" in _one_line(done.stderr)
    assert (folder / weight_store.COMPLETE).is_file(), "the fast copy was discarded"
