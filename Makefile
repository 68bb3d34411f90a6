# tapegrad's front door. `make demo` and `make test` are all a newcomer needs: each one
# installs missing Debian packages, configures with CMake into build/, builds, and runs.
#
#   make demo      build and run the two-layer training demo (examples/two_layer)
#   make test      build everything and run the test suite (ctest)
#   make build     configure and build everything
#   make install PREFIX=/opt/tapegrad   install headers, libraries and the CMake package
#   make bench     build the Google Benchmark programs in benchmarks/ and run them
#   make format    clang-format every C++ file in place
#   make clean     remove build/
#
# Variables: BUILD_DIR (build), BUILD_TYPE (Release), JOBS (nproc), PREFIX (/usr/local),
# NATIVE (ON: -march=native + xsimd for tapegrad's own targets), BENCHMARKS (ON: build
# the benchmarks, and `make test` runs each once with a tiny iteration count so they
# cannot rot), BENCH_ARGS (passed to every benchmark program), CMAKE_ARGS (extra -D options, e.g.
# CMAKE_ARGS=-DTAPEGRAD_SANITIZE=ON).

BUILD_DIR  ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
NATIVE     ?= ON
BENCHMARKS ?= ON
BENCH_ARGS ?=
CMAKE_ARGS ?=
CMAKE      ?= cmake
CTEST      ?= ctest

FORMAT_DIRS := lib ops nn tests examples benchmarks include

.DEFAULT_GOAL := help
.PHONY: help deps configure build demo test install format bench clean

help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

deps:
	@scripts/install-deps.sh

# Re-running CMake on a configured tree is quick and picks up changed options.
configure: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	    -DTAPEGRAD_NATIVE=$(NATIVE) -DTAPEGRAD_BUILD_BENCHMARKS=$(BENCHMARKS) $(CMAKE_ARGS)

build: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

demo: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target example_two_layer
	$(BUILD_DIR)/examples/two_layer

test: build
	cd $(BUILD_DIR) && $(CTEST) --output-on-failure -j $(JOBS)

install: build
	$(CMAKE) --install $(BUILD_DIR) --prefix $(PREFIX)

format:
	@command -v clang-format >/dev/null 2>&1 || { \
	    echo "make format: clang-format not found (apt-get install clang-format)" >&2; exit 1; }
	find $(wildcard $(FORMAT_DIRS)) -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) \
	    -print0 | xargs -0 -r clang-format -i

# One OpenBLAS thread: on a shared 2-core machine a second thread only adds noise.
bench:
	@if [ ! -f benchmarks/CMakeLists.txt ]; then \
	    echo "make bench: there are no benchmarks yet (benchmarks/CMakeLists.txt is missing)." >&2; \
	    exit 1; fi
	$(MAKE) --no-print-directory configure BENCHMARKS=ON
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)
	@set -e; found=0; for b in $(BUILD_DIR)/benchmarks/*_benchmark; do \
	    [ -x "$$b" ] || continue; found=1; echo "== $$b"; \
	    OPENBLAS_NUM_THREADS=1 "$$b" $(BENCH_ARGS); done; \
	    if [ $$found -eq 0 ]; then echo "make bench: no benchmark programs were built" >&2; exit 1; fi

clean:
	rm -rf $(BUILD_DIR)
