"""Salience maths: plain JAX on arrays. Each method is one class in `methods/`; `registry`
lists them.

Nothing is imported here, so the registry can be read without loading JAX.
"""
