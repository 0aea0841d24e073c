"""promptSalience/choices: the methods and granularities the editor's pickers list, from the
server's registries (the client keeps no list of its own)."""

from __future__ import annotations

from typing import Any

from ...engine.segmentation import GRANULARITY_CHOICES
from ...salience.registry import methods
from ..language_server import PromptSalienceServer
from ..protocol import CHOICES_REQUEST, Choices, GranularityChoice, MethodChoice


def register(server: PromptSalienceServer) -> None:
    server.feature(CHOICES_REQUEST)(choices)


def choices(ls: PromptSalienceServer, params: Any = None) -> Choices:
    """Every method (with its cost under the current settings) and granularity, in order."""
    return Choices(
        methods=[
            MethodChoice(
                cls.name,
                cls.label,
                cls.description,
                cls.signed,
                cls.cost_with(cls.options_from(ls.settings)),
            )
            for cls in methods()
        ],
        granularities=[
            GranularityChoice(g.name, g.label, g.description) for g in GRANULARITY_CHOICES
        ],
    )
