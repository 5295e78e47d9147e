"""tinynet: a few neural-network pieces in NumPy, each with a hand-written backward pass."""
