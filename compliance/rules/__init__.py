"""Rules as data: the provenance of every rule value and the operator's tools to verify it.

See ``compliance.rules.base``; capabilities import from there."""
