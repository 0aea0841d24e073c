"""The model layer: the only part of the package that imports keras and keras-hub.

Keras reads its backend once, at first import: this package always runs it on JAX.
"""

import os

os.environ["KERAS_BACKEND"] = "jax"
