"""Every read that is more than a `get`; each starts from a station-scoped queryset."""
