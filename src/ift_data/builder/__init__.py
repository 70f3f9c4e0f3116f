"""Build: expand task rows with templates, cap, mix, hold out clusters, and hand examples to exporters."""
