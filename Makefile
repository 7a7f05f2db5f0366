# The README's two commands: `make run` and `make test`. Everything else is a helper of those.
# Each target installs what it needs first (scripts/install-deps.sh, apt), so both work on a
# fresh Debian 12 machine from a clean clone.

BUILD_DIR ?= build
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= 50000
CMAKE_FLAGS ?=
ARGS ?=
COMPAT_DIR ?= build-compat
COMPAT_TIMEOUT ?= 300
COMPAT_OUT_TIMEOUT ?= $(COMPAT_TIMEOUT)
FILES ?=
DEB_BUILD_DIR ?= build-deb
PREFIX ?= /usr/local

.PHONY: all deps build run test test-sanitize fuzz bench bench-bigmem soak compat compat-memcached deb \
        install \
        test-package format clean

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
# under TSan (separate build trees, scripts/sanitize.sh), then the fuzz targets side by side
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
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target cuckood cuckood-load ktls_probe kernel_entry_probe
	@bash bench/compare.sh $(BUILD_DIR)

# The bigmem workload (bench/bigmem.sh): 212 M records appended over 78 M keys divided by SCALE
# (10: 21.2 M over 7.8 M, a few minutes; 100: a quick run), memcached and cuckood (-t 2 -m 4096)
# in the same run; table and rate chart in bench/results/bigmem.{md,json,png}.
SCALE ?= 10
bench-bigmem:
	@bash scripts/install-deps.sh bench
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target cuckood cuckood-load
	@SCALE=$(SCALE) bash bench/bigmem.sh $(BUILD_DIR)

# The soak (scripts/soak.sh): SOAK_SECS seconds of mixed, verified load (get/set/append/incr/
# delete/touch, text and binary, pipelined and single, reconnecting clients) against a cuckood
# with -m 16, then its fds and RSS checked against their levels before and at the limit, and
# exit 0 on SIGTERM. SOAK_BIN runs another build's server (e.g. build-asan/cuckood).
SOAK_SECS ?= 120
SOAK_BIN ?= $(BUILD_DIR)/cuckood
soak:
	@bash scripts/install-deps.sh test
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target cuckood cuckood-load
	@bash scripts/soak.sh $(SOAK_BIN) $(BUILD_DIR)/bench/cuckood-load $(SOAK_SECS)

# memcached 1.6.18's own t/ suite (Debian's source package, fetched once into COMPAT_DIR) run
# against cuckood as it runs against memcached (compat/run-suite.sh); prints a per-file table and
# fails when a file compat/scope.txt puts in scope does not pass. FILES="cas.t stats.t" runs a
# few. compat-memcached runs the same harness against memcached-debug built from that source.
compat: build
	@bash scripts/install-deps.sh compat
	@bash compat/run-suite.sh --server cuckood --bin $(BUILD_DIR)/cuckood --dir $(COMPAT_DIR) \
	  --timeout $(COMPAT_TIMEOUT) --out-timeout $(COMPAT_OUT_TIMEOUT) --check $(FILES)

compat-memcached:
	@bash scripts/install-deps.sh compat
	@bash compat/run-suite.sh --server memcached-debug --dir $(COMPAT_DIR) \
	  --timeout $(COMPAT_TIMEOUT) $(FILES)

# The Debian package (scripts/build-deb.sh): binary, cuckood.service, /etc/cuckood.conf as a
# conffile, cuckood(1); built in DEB_BUILD_DIR with the prefix /usr.
deb:
	@bash scripts/install-deps.sh package
	@bash scripts/build-deb.sh $(DEB_BUILD_DIR)

# The CMake install rules (packaging/CMakeLists.txt) under PREFIX; DESTDIR is honoured.
install:
	@bash scripts/install-deps.sh package
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)
	@cmake --install $(BUILD_DIR)

# Builds the package and checks its contents; as root also installs and purges it with dpkg.
test-package:
	@bash scripts/install-deps.sh package
	@bash tests/packaging/test_package.sh $(DEB_BUILD_DIR)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) build-*
