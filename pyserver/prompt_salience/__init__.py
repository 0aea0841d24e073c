"""Prompt Salience: which parts of a prompt made Gemma write what it wrote."""

__version__ = "0.1.0"
