"""The prompt format: `.prompt` templates, LIT `.jsonl` datasets, and where each character of a
rendered prompt came from. Plain text work: no JAX, no keras."""
