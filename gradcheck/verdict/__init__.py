"""Comparison and report: analytic against numeric, hints, step sweeps, figures (matplotlib), check_jacobian."""
