"""Salience maths: plain JAX on arrays. Methods live in `registry` keyed by name.

Nothing is imported here so that `salience.names` can be read without loading JAX.
"""
