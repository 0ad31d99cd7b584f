"""The counter page (page.py), its forms (forms.py) and what it shows (context.py)."""
