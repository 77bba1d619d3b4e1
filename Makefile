# The two commands of the README. Both install what is missing first (scripts/install-deps.sh).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test unit test-asan demo bench clean format check-format

all: build

deps:
	./scripts/install-deps.sh all

$(BUILD)/build.ninja $(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: deps $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

# Every test (unit, integration, e2e on real Debian images) through ctest.
test: build
	cd $(BUILD) && ctest --output-on-failure -j 1 --timeout 3000

# Unit and integration tests only (fast).
unit: build
	cd $(BUILD) && ctest --output-on-failure -L unit

# The unit and integration suites again, built with ASan + UBSan in their own build directory. The
# rootless attacker/corpus run (hostile_rootless) is left to `make test`: under ASan it would run the same
# code as `hostile` again, as other users, for a quarter of CI's time.
ASAN_BUILD ?= build-asan
test-asan: deps
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWHITTLE_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_BUILD) -j $(JOBS)
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
