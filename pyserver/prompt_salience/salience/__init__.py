"""Salience maths: plain JAX on arrays. Methods live in a registry keyed by name."""

from .registry import METHODS, SalienceMethod, get_method, method_names

__all__ = ["METHODS", "SalienceMethod", "get_method", "method_names"]
