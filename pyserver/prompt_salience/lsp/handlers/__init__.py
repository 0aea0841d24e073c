"""One module per LSP feature; `register_all` attaches them to a server."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..language_server import PromptSalienceServer


def register_all(server: PromptSalienceServer) -> None:
    from . import (
        choices,
        code_actions,
        code_lens,
        commands,
        completion,
        custom_requests,
        hover,
        lifecycle,
        pins,
        text_sync,
    )
    from .models import register as register_model_picker

    features = (lifecycle, text_sync, code_lens, hover, commands, pins, custom_requests, choices)
    for module in features:
        module.register(server)
    register_model_picker(server)
    completion.register(server)
    code_actions.register(server)
