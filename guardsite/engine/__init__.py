"""The classification engine: plain Python, no Django, usable from workers and benchmarks."""
