"""Triggerscope core: scenario model, discrete-event engine, file formats and sweeps (no Qt)."""

__version__ = "0.1.0"
