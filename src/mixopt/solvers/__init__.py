"""The solver layer: a model as arrays handed to HiGHS (in process), CBC (its binary) or CLP (through cylp), with statuses mixopt derives itself."""
