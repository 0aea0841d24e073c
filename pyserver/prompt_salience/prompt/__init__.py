"""The prompt format: `.prompt` templates, LIT `.jsonl` datasets, and where each character of a
rendered prompt came from. Plain text work: no JAX, no keras.

`parsing.parse_prompt_file` is the entry (its docstring describes the format); it uses
`front_matter` (settings, variables, cases), `yaml_scalars` (each value character's file offset)
and `template` (placeholders, `render_case`). `parsed_prompt` holds the data types, `reading`
turns a file's bytes into text, `documents` picks the parser by file kind, `datasets` reads
`.jsonl`, and `line_index` is the one line-break rule of the whole package.
"""
