"""promptSalience/choices lists what the server's registries hold (no model needed)."""

from __future__ import annotations

import pytest
from lsp_helpers import as_plain
from pytest_lsp import LanguageClient

from prompt_salience.engine.segmentation import GRANULARITY_CHOICES
from prompt_salience.lsp.protocol import CHOICES_REQUEST
from prompt_salience.salience.registry import methods

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.parametrize("params", [None, {}])
async def test_choices_list_every_method_and_granularity_with_labels(
    client: LanguageClient, params: dict[str, object] | None
) -> None:
    answer = as_plain(await client.protocol.send_request_async(CHOICES_REQUEST, params))
    assert [m["name"] for m in answer["methods"]] == [cls.name for cls in methods()]
    for sent, cls in zip(answer["methods"], methods(), strict=True):
        assert sent["label"] == cls.label
        assert sent["description"] == cls.description
        assert sent["signed"] is cls.signed
        assert sent["cost"] == cls.cost_with(cls.options_from(object()))  # default settings
        assert "{" not in sent["cost"]
    assert answer["granularities"] == [
        {"name": g.name, "label": g.label, "description": g.description}
        for g in GRANULARITY_CHOICES
    ]
