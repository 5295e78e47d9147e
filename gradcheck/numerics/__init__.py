"""The numeric estimate: evaluating f around x, steps and stencils, directional projections (numpy only)."""
