"""The registry of salience methods: the only list, found from `salience/methods/`, readable
without JAX, with one check of a method's name."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from prompt_salience.engine.case_run import RunSettings, method_options
from prompt_salience.errors import PromptSalienceError
from prompt_salience.salience import methods as methods_package
from prompt_salience.salience import registry
from prompt_salience.salience.registry import get_method, method_class, method_names, methods


def test_reading_the_registry_and_the_settings_imports_no_jax() -> None:
    code = textwrap.dedent(
        """
        import sys
        from prompt_salience.salience.registry import method_class, methods
        from prompt_salience.settings import declared_settings
        from prompt_salience.lsp.settings import read_settings
        from prompt_salience.lsp.handlers.choices import choices
        assert [m.label for m in methods()], "no methods"
        method_class(methods()[0].name)
        assert declared_settings()
        heavy = sorted(m for m in ("jax", "jaxlib", "keras", "numpy") if m in sys.modules)
        print(",".join(heavy))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == ""


def test_the_built_in_methods_in_display_order() -> None:
    assert method_names()[0] == "grad_l2"  # LIT's default comes first
    assert len(set(method_names())) == len(methods()) == 4
    assert len({cls.order for cls in methods()}) == len(methods())


@pytest.mark.parametrize("cls", methods(), ids=lambda cls: cls.name)
def test_each_method_says_what_it_is_and_costs(cls: type) -> None:
    assert cls.label.strip()
    assert cls.description.endswith(".")
    cost = cls.cost_with(cls.options_from(object()))  # object(): every option at its default
    assert cost.strip()
    assert "{" not in cost


def test_an_unknown_method_names_the_closest_and_every_method() -> None:
    with pytest.raises(PromptSalienceError) as raised:
        method_class("grad_l3")
    assert raised.value.problem == "Unknown method 'grad_l3'."
    assert raised.value.fix.startswith("Did you mean `grad_l2`? Use one of: grad_l2, ")
    for name in method_names():
        assert name in raised.value.fix
    with pytest.raises(PromptSalienceError, match="Unknown method"):
        get_method("nothing like it")


def test_options_come_from_the_run_settings_and_unknown_options_are_refused() -> None:
    with_options = [cls for cls in methods() if cls.options]
    assert with_options  # integrated gradients' steps
    for cls in with_options:
        option = cls.options[0]

        class Settings:  # stands in for RunSettings: only the field the option reads
            pass

        settings = Settings()
        setattr(settings, option.setting, option.default + 3)
        values = cls.options_from(settings)
        assert values == {option.name: float(option.default + 3)}
        assert str(option.default + 3) in cls.cost_with(values)
        assert get_method(cls.name, **values).option_values[option.name] == option.default + 3
        assert get_method(cls.name).option_values[option.name] == option.default
    with pytest.raises(TypeError, match="no option"):
        get_method(method_names()[0], steps=4.0)


@pytest.fixture
def extra_method_folder(tmp_path: Path) -> Iterator[Path]:
    """A second folder of the methods package, as if a module had been added to it."""
    methods_package.__path__.append(str(tmp_path))
    registry.methods.cache_clear()
    try:
        yield tmp_path
    finally:
        methods_package.__path__.remove(str(tmp_path))
        sys.modules.pop(f"{methods_package.__name__}.leave_nothing_out", None)
        registry.methods.cache_clear()


def test_adding_a_method_is_adding_one_module(extra_method_folder: Path) -> None:
    (extra_method_folder / "leave_nothing_out.py").write_text(
        textwrap.dedent(
            '''
            """A method for this test only."""
            from prompt_salience.salience.method import Attribution, SalienceMethod

            class LeaveNothingOut(SalienceMethod):
                name = "leave_nothing_out"
                label = "Leave nothing out"
                description = "Scores nothing."
                signed = False
                cost = "nothing"
                order = 25

                def attribute(self, objective, groups=None):
                    raise NotImplementedError
            '''
        )
    )
    names = method_names()
    assert names.index("leave_nothing_out") == names.index("grad_dot_input") + 1
    assert method_class("leave_nothing_out").label == "Leave nothing out"


def test_a_run_gives_any_method_the_options_its_settings_hold() -> None:
    """The engine and the server ask for options by method (no method is special-cased)."""
    for cls in methods():
        values = {option.setting: option.default + 5 for option in cls.options}
        settings = RunSettings(**values)
        expected = {option.name: float(option.default + 5) for option in cls.options}
        assert method_options(settings, cls.name) == expected
        assert method_options(attrs.evolve(settings, method=cls.name)) == expected
