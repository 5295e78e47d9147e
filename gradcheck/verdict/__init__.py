"""Comparison and report: analytic against numeric, hints, step sweeps, and check_jacobian (numpy only)."""
