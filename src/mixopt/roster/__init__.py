"""Roster mode: which named creators from a creator table; table reading, model builder, LP-and-core solve, plan, reserves and the independent rule check."""
