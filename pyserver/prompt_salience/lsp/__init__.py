"""The language server (pygls 2): diagnostics, CodeLens, hovers and commands for prompt files.

The only part of the package that imports pygls and lsprotocol. Dependencies point one way:
`lsp` -> engine (documents, runs, explain, segmentation, colour scale) -> model loading.
Start it with `prompt-salience serve` or `python -m prompt_salience.server` (stdio).
"""
