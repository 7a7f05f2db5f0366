# The README's two commands: `make run` and `make test`. Everything else is a helper of those.
# Each target installs what it needs first (scripts/install-deps.sh, apt), so both work on a
# fresh Debian 12 machine from a clean clone.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 50000
CMAKE_FLAGS ?=
ARGS ?=

.PHONY: all deps build run test test-sanitize fuzz bench format clean

all: build

deps:
	@bash scripts/install-deps.sh build

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	./$(BUILD_DIR)/cuckood $(ARGS)

test:
	@bash scripts/install-deps.sh test
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCUCKOOD_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Unit tests, and the integration tests against an instrumented cuckood, under ASan+UBSan and
# under TSan (separate build trees, scripts/sanitize.sh), then both fuzz targets side by side
# over FUZZ_RUNS inputs each from a fixed seed (a bounded, repeatable CI step).
test-sanitize:
	@bash scripts/install-deps.sh test
	@BUILD_DIR=$(BUILD_DIR) CMAKE_FLAGS="$(CMAKE_FLAGS)" bash scripts/sanitize.sh
	@RUNS=$(FUZZ_RUNS) bash scripts/fuzz.sh

# The fuzz targets under libFuzzer + ASan + UBSan (scripts/fuzz.sh), side by side, each
# FUZZ_SECONDS long.
fuzz:
	@bash scripts/install-deps.sh test
	@bash scripts/fuzz.sh $(FUZZ_SECONDS)

bench:
	@bash scripts/install-deps.sh bench
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target cuckood cuckood-load
	@bash bench/compare.sh $(BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-*
