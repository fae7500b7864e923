"""The simulation engine: a small event kernel, metrics, accounting and the Simulation driver."""
