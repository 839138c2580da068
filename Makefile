# Entry points: `make demo` and `make test` do all set-up on a fresh Debian 12 machine.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja

.PHONY: all deps build test test-fast test-asan demo bench clean

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

# The full suite, then once more under AddressSanitizer + UndefinedBehaviorSanitizer.
test: test-fast test-asan

test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

$(ASAN_BUILD)/build.ninja: | deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DGRADGEN_SANITIZE=ON

test-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -E 'slow'

demo: build
	@bash scripts/demo.sh $(BUILD)/gradgen

# Installs libtorch/OpenBLAS if missing, builds gradgen and the bench in their
# own Release dir (networks generated there by that gradgen), runs it with OPENBLAS_* unset.
BENCH_BUILD ?= build-bench
bench: deps
	@bash bench/install-bench-deps.sh
	cmake -S . -B $(BENCH_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DGRADGEN_BENCH=ON -DGRADGEN_TESTS=OFF
	cmake --build $(BENCH_BUILD) --target gradgen_bench -j $(JOBS)
	bash bench/run-bench.sh $(BENCH_BUILD)/bench/gradgen_bench $(BENCH_ARGS)
	bash bench/cpp_frontend/run.sh $(BENCH_BUILD)/gradgen $(BENCH_BUILD)/cpp_frontend

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(BENCH_BUILD)
