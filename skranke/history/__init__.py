"""History import and export: other systems' visit records in, Skranke's own out (`skranke import`,
`skranke export`). Imported visits are `VisitFact` rows like live ones, so every figure counts them.
"""
