"""A two-layer MLP in NumPy with hand-written derivatives."""
