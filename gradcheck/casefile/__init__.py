"""Case files: bounded safe YAML, the format declared once, array specs, layer and function cases."""
