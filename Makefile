# The two commands of the README. Both install what is missing first (scripts/install-deps.sh).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test unit build-asan test-asan demo bench clean format check-format

all: build

deps:
	./scripts/install-deps.sh all

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# Every test (unit, integration, e2e on real Debian images) through ctest. The e2e suites' Debian images are
# built in the background meanwhile (scripts/e2e-images.sh, log in $(BUILD)/e2e-images.log): their builds
# wait on the network and the disk while compiling and the unit tests use the CPUs, and ctest runs the e2e
# suites last (a suite whose image is still being built waits for it). A failed compile stops the builds.
test: deps $(BUILD)/Makefile
	setsid ./scripts/e2e-images.sh $(abspath $(BUILD))/e2e-cache >$(BUILD)/e2e-images.log 2>&1 & images=$$!; \
	  if ! cmake --build $(BUILD) -j $(JOBS); then kill -TERM -$$images 2>/dev/null; wait $$images; exit 1; fi; \
	  (cd $(BUILD) && ctest --output-on-failure -j 1 --timeout 3000); status=$$?; \
	  wait $$images; grep '^e2e-images:' $(BUILD)/e2e-images.log || true; exit $$status

# Unit and integration tests only (fast).
unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

# The unit and integration suites again, built with ASan + UBSan in their own build directory. The
# rootless attacker/corpus run (hostile_rootless) is left to `make test`: under ASan it would run the same
# code as `hostile` again, as other users, for a quarter of CI's time.
ASAN_BUILD ?= build-asan
build-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHITTLE_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)

test-asan: build-asan
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j 1 -L unit -E '^hostile_rootless$$' --timeout 3000

demo: build
	./scripts/demo.sh $(BUILD)/whittle

bench: build
	./bench/run.sh $(BUILD)/whittle

# Formats every tracked *.cpp/*.hpp; check-format fails on one that is not (CI runs it).
format:
	./scripts/check-format.sh --fix

check-format:
	./scripts/check-format.sh

clean:
	rm -rf $(BUILD)
