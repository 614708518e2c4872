"""What planners ask of a plan: sweeps, frontiers, comparisons, simulation, risk-aware plans, and the no-plan diagnosis."""
