"""`make bench`: Skranke measured on its production stack (uvicorn workers and PostgreSQL).

Each figure is a dict {"name", "value", "unit", "goal", "met", ...}; `python -m bench` runs them,
prints a table and writes bench/results.json and bench/results.md.
"""
