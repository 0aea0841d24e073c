"""The registry of salience methods: every `SalienceMethod` class in `salience/methods/`.

It is the only list of methods. Adding a method is one module there (plus its test): the
registry imports each module of the package and keeps the classes defined in it. Reading it
imports no JAX (method modules import the maths inside `attribute`), so names can be checked
at typing speed.
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import pkgutil
from functools import cache

from ..errors import PromptSalienceError
from . import methods as methods_package
from .method import MethodOption, SalienceMethod


@cache
def methods() -> tuple[type[SalienceMethod], ...]:
    """Every method, in the order users see them."""
    found: dict[str, type[SalienceMethod]] = {}
    for module_info in pkgutil.iter_modules(methods_package.__path__):
        module = importlib.import_module(f"{methods_package.__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and issubclass(value, SalienceMethod)
                and value.__module__ == module.__name__
                and not inspect.isabstract(value)
            ):
                if value.name in found:
                    raise RuntimeError(f"two salience methods are named {value.name!r}")
                found[value.name] = value
    return tuple(sorted(found.values(), key=lambda cls: (cls.order, cls.name)))


def method_names() -> tuple[str, ...]:
    return tuple(cls.name for cls in methods())


def method_class(name: str) -> type[SalienceMethod]:
    """The method called `name`. The one check of a method name: an unknown one raises
    PromptSalienceError naming the closest method and every method."""
    for cls in methods():
        if cls.name == name:
            return cls
    names = method_names()
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"Did you mean `{close[0]}`? " if close else ""
    raise PromptSalienceError(f"Unknown method {name!r}.", f"{hint}Use one of: {', '.join(names)}.")


def get_method(name: str, **options: float) -> SalienceMethod:
    """An instance of method `name` with these options (others at their defaults)."""
    return method_class(name)(**options)


def method_option(setting: str) -> MethodOption:
    """The method option read from run setting `setting` (settings take defaults from it)."""
    for cls in methods():
        for option in cls.options:
            if option.setting == setting:
                return option
    raise KeyError(f"no salience method reads the setting {setting!r}")
