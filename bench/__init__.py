"""``make bench``: measure the fake against a minimal Flask floor, on 127.0.0.1 only.

Entry point: ``python -m bench.run`` (``--quick`` for ~1 s cells). Not a test: it prints a table
and writes ``reports/bench.json``; nothing here asserts timings.
"""
