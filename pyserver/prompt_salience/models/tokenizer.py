"""Gemma's SentencePiece tokenizer with exact character offsets for every token."""

from __future__ import annotations

from dataclasses import dataclass

import sentencepiece

from ..results import CharSpan


@dataclass(frozen=True)
class TokenizedText:
    """Token ids of a text and, for each, the characters it covers in that text."""

    text: str
    ids: tuple[int, ...]
    spans: tuple[CharSpan, ...]


def _byte_to_char(text: str) -> list[int]:
    """For every UTF-8 byte offset 0..len(bytes), the index of the first char starting at or after it.

    Byte-fallback pieces cut one character into several tokens: rounding byte offsets up to
    the next character start gives one of those tokens (the last, as SentencePiece reports
    them) the whole character and the others empty spans, so token spans never overlap and
    always cover the text.
    """
    table: list[int] = []
    for index, char in enumerate(text):
        width = len(char.encode("utf-8"))
        table.append(index)
        table.extend([index + 1] * (width - 1))
    table.append(len(text))
    return table


class GemmaTokenizer:
    """Encodes and decodes with offsets; ids are the model's vocabulary ids."""

    def __init__(self, proto: bytes) -> None:
        self._sp = sentencepiece.SentencePieceProcessor(model_proto=proto)
        self.bos_id: int = self._sp.bos_id()
        self.eos_id: int = self._sp.eos_id()
        self.vocabulary_size: int = self._sp.get_piece_size()
        end_of_turn = self._sp.piece_to_id("<end_of_turn>")
        # piece_to_id returns the unknown id for a missing piece.
        self.end_of_turn_id: int | None = (
            None if end_of_turn == self._sp.unk_id() else int(end_of_turn)
        )

    @property
    def stop_ids(self) -> tuple[int, ...]:
        """Tokens that end a response: end-of-sequence and, when the vocabulary has it, end-of-turn."""
        return (self.eos_id,) + (() if self.end_of_turn_id is None else (self.end_of_turn_id,))

    def encode(self, text: str) -> TokenizedText:
        proto = self._sp.encode(text, return_type="proto")
        to_char = _byte_to_char(text)
        ids = tuple(int(p.id) for p in proto.pieces)
        spans = tuple(CharSpan(to_char[p.begin], to_char[p.end]) for p in proto.pieces)
        return TokenizedText(text, ids, spans)

    def decode(self, ids: list[int] | tuple[int, ...]) -> TokenizedText:
        proto = self._sp.decode(list(ids), return_type="proto")
        text = str(proto.text)
        to_char = _byte_to_char(text)
        spans = tuple(CharSpan(to_char[p.begin], to_char[p.end]) for p in proto.pieces)
        return TokenizedText(text, tuple(int(i) for i in ids), spans)

    def piece(self, token_id: int) -> str:
        return str(self._sp.id_to_piece(token_id))
