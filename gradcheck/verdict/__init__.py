"""Comparison and report: analytic against numeric, hints, step sweeps, the heatmap (matplotlib), check_jacobian."""
