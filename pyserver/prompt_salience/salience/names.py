"""Method names, readable without importing JAX (validation at typing speed).

tests/test_salience_maths.py checks that this list equals the registry's keys.
"""

METHOD_NAMES = ("grad_l2", "grad_dot_input", "integrated_gradients", "segment_ablation")
SIGNED_METHODS = ("grad_dot_input", "integrated_gradients", "segment_ablation")
