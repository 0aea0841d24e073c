"""The engine: runs a case (generation or a what-if target), cuts text into segments, and
explains spans with the salience methods. Imports JAX only through `explainer`."""
