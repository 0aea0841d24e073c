"""One module per salience method, each defining one `SalienceMethod` class.

The registry imports every module here: a new module is a new method, with no list to edit.
Modules import JAX and the maths inside `attribute` only (the registry is read without JAX).
"""
