"""Tier mode: how many creators of each (tier, platform) cell; model builder, solve, plan, and the independent rule check."""
