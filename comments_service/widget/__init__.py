"""The embeddable widget: its source in parts (src/), assembled by parts.py into what is served."""
