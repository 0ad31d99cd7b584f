"""Statistics: service goals and the KPI engine that answers every figure from visit records."""
