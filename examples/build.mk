# examples/ — example extensions and hosts; `make demo` builds and runs them.
demo: all
	@echo "demo: not built yet"
