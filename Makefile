# tapegrad's front door. `make demo` and `make test` are all a newcomer needs: each one
# installs missing Debian packages, configures with CMake into build/, builds, and runs.
#
#   make demo      build and run the trapezoid demo (examples/trapezoid); pictures in build/demo/
#   make digits    train a small CNN on scikit-learn's digits (examples/digits); output in build/digits/
#   make sequence  train an LSTM on the adding problem (examples/sequence); output in build/sequence/
#   make tiny_transformer  train a character-level transformer (examples/tiny_transformer); output in build/tiny_transformer/
#   make gpt2      train a small GPT-2 byte by byte on generated stories (examples/gpt2); output in build/gpt2/
#   make test      build everything and run the test suite (ctest); a skipped test fails it
#   make test-peers  the tests labelled peers: GPT-2 124M against llm.c (needs ../shared/peers; minutes)
#   make test-default  build the test suites with the default options users get (NATIVE=OFF) into build-default/ and run them
#   make build     configure and build everything
#   make install PREFIX=/opt/tapegrad   install headers, libraries and the CMake package
#   make bench     build the Google Benchmark programs in benchmarks/ and run them
#   make sanitize  build the test suites with ASan + UBSan into build-sanitize/ and run them
#   make tsan      build the thread tests with ThreadSanitizer into build-tsan/ and run them
#   make fuzz      build the checkpoint fuzzers with clang into build-fuzz/ and run them
#   make format    clang-format every C++ file in place
#   make docs      the API reference of the public headers (Doxygen) in build/docs/html
#   make check-docs  check that every path the docs cite exists and the README's tables match the headers
#   make clean     remove build/
#
# Variables: BUILD_DIR (build), BUILD_TYPE (Release), JOBS (nproc), PREFIX (/usr/local),
# NATIVE (ON: -march=native + xsimd for tapegrad's own targets), BENCHMARKS (ON: build
# the benchmarks, and `make test` runs each once with a tiny iteration count so they
# cannot rot), BENCH_REPETITIONS (5: each benchmark runs that often, in random order
# among the others, and reports the median), BENCH_ARGS (passed to every benchmark
# program after those flags), CMAKE_ARGS (extra -D options, e.g.
# CMAKE_ARGS=-DTAPEGRAD_SANITIZE=ON), SANITIZE_DIR (build-sanitize), FUZZ_DIR (build-fuzz),
# FUZZ_SECONDS (60: the total fuzzing time, split between the fuzzers), DEFAULT_DIR
# (build-default).
#
# Skips: every target that runs ctest fails when a test did not run (skipped) unless
# tests/allowed_skips.txt lists it (scripts/run-ctest.sh); with CI=true or STRICT=1 in the
# environment the test programs fail a skip themselves, so plain ctest fails too.

BUILD_DIR  ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
PREFIX     ?= /usr/local
NATIVE     ?= ON
BENCHMARKS ?= ON
BENCH_REPETITIONS ?= 5
BENCH_ARGS ?=
CMAKE_ARGS ?=
CMAKE      ?= cmake
CTEST      ?= ctest
SANITIZE_DIR ?= build-sanitize
TSAN_DIR     ?= build-tsan
FUZZ_DIR     ?= build-fuzz
DEFAULT_DIR  ?= build-default
FUZZ_SECONDS ?= 60

FORMAT_DIRS := core io ops optim reference nn distributed tests examples benchmarks include fuzz

.DEFAULT_GOAL := help
.PHONY: help deps configure build demo digits sequence tiny_transformer gpt2 test test-peers test-default install format bench clean sanitize tsan fuzz docs check-docs

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

# The blog workload trained with Adam to a test RMSE under 0.01; writes loss.csv,
# predictions.csv and (with gnuplot) loss.png and predictions.png into $(BUILD_DIR)/demo/.
# One OpenBLAS thread, as for `make bench`: a second one only adds noise on small GEMMs.
demo: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target example_trapezoid
	OPENBLAS_NUM_THREADS=1 $(BUILD_DIR)/examples/trapezoid --out $(BUILD_DIR)/demo

digits: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target example_digits
	OPENBLAS_NUM_THREADS=1 $(BUILD_DIR)/examples/digits --check --out $(BUILD_DIR)/digits

# An LSTM on the adding problem (length 50), about a minute on one core; --check exits 1
# unless the test MSE ends 10x below the baseline of always predicting 1.
sequence: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target example_sequence
	OPENBLAS_NUM_THREADS=1 $(BUILD_DIR)/examples/sequence --check --out $(BUILD_DIR)/sequence

# A 2-layer character-level transformer trained on generated text, about 30 s on one
# core; --check exits 1 unless the validation loss ends below a quarter of the unigram
# baseline (the entropy of the character frequencies).
tiny_transformer: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target example_tiny_transformer
	OPENBLAS_NUM_THREADS=1 $(BUILD_DIR)/examples/tiny_transformer --check --out $(BUILD_DIR)/tiny_transformer

# GPT-2 (4 layers, 128 channels, 0.8 M parameters) trained 400 steps byte by byte on
# generated stories, about a minute on one core; --check-loss exits 1 unless the
# validation loss ends below half its initial value.
gpt2: configure
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS) --target example_gpt2
	OPENBLAS_NUM_THREADS=1 $(BUILD_DIR)/examples/gpt2 --check-loss --out $(BUILD_DIR)/gpt2

# ctest through scripts/run-ctest.sh: --no-tests=error, and a test that did not run fails
# the target unless tests/allowed_skips.txt lists it.
RUN_CTEST = CTEST=$(CTEST) $(CURDIR)/scripts/run-ctest.sh

# The tests labelled peers (examples/CMakeLists.txt: GPT-2 124M against llm.c, minutes and
# 3 GB) run only in `make test-peers`.
test: build
	cd $(BUILD_DIR) && $(RUN_CTEST) --output-on-failure -j $(JOBS) -LE peers

test-peers: build
	cd $(BUILD_DIR) && $(RUN_CTEST) --output-on-failure -L peers

# The build users get: find_package users and a plain `cmake -S . -B build` have
# TAPEGRAD_NATIVE=OFF (no -march=native, no xsimd in xtensor's loops; tapegrad's own
# kernels then use the baseline SIMD width, SSE2 on x86-64), while `make test` builds
# with NATIVE=ON. The test suites (core, io, ops, optim, nn, distributed with MPI) and the test setup's own
# checks, in a build directory of their own, Release; no examples or benchmarks (they run
# the same library code, and CI's time goes to the suites).
test-default: deps
	$(CMAKE) -S . -B $(DEFAULT_DIR) -DCMAKE_BUILD_TYPE=Release -DTAPEGRAD_NATIVE=OFF \
	    -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_BENCHMARKS=OFF $(CMAKE_ARGS)
	$(CMAKE) --build $(DEFAULT_DIR) -j $(JOBS)
	cd $(DEFAULT_DIR) && $(RUN_CTEST) --output-on-failure -j $(JOBS)

install: build
	$(CMAKE) --install $(BUILD_DIR) --prefix $(PREFIX)

format:
	@command -v clang-format >/dev/null 2>&1 || { \
	    echo "make format: clang-format not found (apt-get install clang-format)" >&2; exit 1; }
	find $(wildcard $(FORMAT_DIRS)) -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) \
	    -print0 | xargs -0 -r clang-format -i

# One OpenBLAS thread: on a shared 2-core machine a second thread only adds noise.
# Repetitions spread over the whole run in random order, reported by their median, keep a
# slow phase of a shared machine from landing on one variant only.
BENCH_FLAGS = --benchmark_repetitions=$(BENCH_REPETITIONS) \
    --benchmark_enable_random_interleaving=true --benchmark_display_aggregates_only=true
bench:
	@if [ ! -f benchmarks/CMakeLists.txt ]; then \
	    echo "make bench: there are no benchmarks yet (benchmarks/CMakeLists.txt is missing)." >&2; \
	    exit 1; fi
	$(MAKE) --no-print-directory configure BENCHMARKS=ON
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)
	@set -e; found=0; matched=0; for b in $(BUILD_DIR)/benchmarks/*_benchmark; do \
	    [ -x "$$b" ] || continue; found=1; \
	    [ -n "$$("$$b" $(BENCH_ARGS) --benchmark_list_tests=true 2>/dev/null)" ] || continue; \
	    matched=1; echo "== $$b"; \
	    OPENBLAS_NUM_THREADS=1 "$$b" $(BENCH_FLAGS) $(BENCH_ARGS); done; \
	    if [ $$found -eq 0 ]; then echo "make bench: no benchmark programs were built" >&2; exit 1; fi; \
	    if [ $$matched -eq 0 ]; then echo "make bench: no benchmark of any program matches" \
	        "BENCH_ARGS='$(BENCH_ARGS)'; list them with $(BUILD_DIR)/benchmarks/<program>" \
	        "--benchmark_list_tests" >&2; exit 1; fi

# The flags of the three checking builds (sanitize, tsan, fuzz): -O1 keeps the suites fast
# enough under the sanitizers (at -O0 xtensor is many times slower) and -g1 (line tables)
# gives reports with function, file and line. Measured on the heaviest test file under
# ASan + UBSan (tests/ops/forward_values_test.cpp): 188 s to compile at -O2 -g, 123 s at
# -O2 -g1, 68 s at -O1 -g1; full debug info of xtensor's templates is most of the cost.
CHECK_FLAGS := -O1 -g1 -DNDEBUG

# The three test suites under AddressSanitizer (with LeakSanitizer) and
# UndefinedBehaviorSanitizer, in a build directory of their own, with CHECK_FLAGS. Any
# report fails the run: UBSan is compiled with -fno-sanitize-recover=all, ASan and LSan
# abort. _GLIBCXX_ASSERTIONS adds libstdc++'s
# bounds checks (std::string::back() of an empty string, vector::operator[] past the
# end), which ASan cannot see inside an object and g++'s UBSan does not report. Same
# NATIVE as `make test`, so the xsimd kernels users build are the ones checked (the
# fuzz build covers NATIVE=OFF).
SANITIZE_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 OPENBLAS_NUM_THREADS=1

sanitize: deps
	$(CMAKE) -S . -B $(SANITIZE_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_SANITIZE=ON \
	    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(CHECK_FLAGS)" \
	    -DCMAKE_CXX_FLAGS=-D_GLIBCXX_ASSERTIONS -DTAPEGRAD_NATIVE=$(NATIVE) \
	    -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_BENCHMARKS=OFF -DTAPEGRAD_BUILD_DISTRIBUTED=OFF \
	    $(CMAKE_ARGS)
	$(CMAKE) --build $(SANITIZE_DIR) -j $(JOBS) --target tapegrad_core_tests tapegrad_io_tests tapegrad_ops_tests \
	    tapegrad_optim_tests tapegrad_nn_tests tapegrad_harness_tests
	cd $(SANITIZE_DIR) && $(SANITIZE_ENV) $(RUN_CTEST) --output-on-failure -j $(JOBS)

# The thread tests (threads sharing parameters, a model, the buffer pool, DataParallel's
# workers: every test file that starts a thread, listed in TAPEGRAD_THREAD_TESTS in
# tests/CMakeLists.txt, which refuses to configure when one is missing) under
# ThreadSanitizer, in a build directory of their own; only that one test executable is
# built. Any report fails the run (halt_on_error), and so does finding no test
# (--no-tests=error). One OpenBLAS thread: OpenBLAS is not instrumented, so its own
# threads would be invisible to TSan at best.
TSAN_ENV := TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 OPENBLAS_NUM_THREADS=1

tsan: deps
	$(CMAKE) -S . -B $(TSAN_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAPEGRAD_TSAN=ON \
	    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(CHECK_FLAGS)" \
	    -DTAPEGRAD_NATIVE=$(NATIVE) -DTAPEGRAD_BUILD_EXAMPLES=OFF -DTAPEGRAD_BUILD_BENCHMARKS=OFF \
	    -DTAPEGRAD_BUILD_DISTRIBUTED=OFF $(CMAKE_ARGS)
	$(CMAKE) --build $(TSAN_DIR) -j $(JOBS) --target tapegrad_thread_tests
	cd $(TSAN_DIR) && $(TSAN_ENV) $(RUN_CTEST) --output-on-failure -R '^threads$$'

# libFuzzer targets for the .npz checkpoint loader (fuzz/), built with clang, with ASan
# and UBSan, and run for FUZZ_SECONDS in total; a crash, leak or hang fails.
fuzz:
	@scripts/install-deps.sh --fuzz
	$(CMAKE) -S fuzz -B $(FUZZ_DIR) -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$(CHECK_FLAGS)"
	$(CMAKE) --build $(FUZZ_DIR) -j $(JOBS) --target npz_load_fuzzer npy_entry_fuzzer npy_header_fuzzer \
	    safetensors_load_fuzzer training_checkpoint_fuzzer
	fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# The API reference of the public headers, with docs/design.md as its front page, into
# $(BUILD_DIR)/docs/html (docs/Doxyfile). Any Doxygen warning fails, an undocumented
# public name among them (WARN_AS_ERROR = FAIL_ON_WARNINGS).
docs:
	@scripts/install-deps.sh --docs
	@mkdir -p $(BUILD_DIR)/docs
	( cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = $(BUILD_DIR)/docs" ) | doxygen -
	@echo "make docs: open $(BUILD_DIR)/docs/html/index.html"

# The prose against the code: every path a doc or comment cites exists, the README's op
# and layer tables match the headers (scripts/check-docs.sh). Needs only python3.
check-docs:
	@scripts/check-docs.sh

clean:
	rm -rf $(BUILD_DIR)
