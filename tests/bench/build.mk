# tests/bench/ — `make bench`.
bench:
	@echo "bench: not built yet"
