# The two commands of the README. Both install what is missing first (scripts/install-deps.sh).
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build test unit demo bench clean format

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

demo: build
	./scripts/demo.sh $(BUILD)/whittle

bench: build
	./bench/run.sh $(BUILD)/whittle

format:
	clang-format -i $$(git ls-files '*.cpp' '*.hpp')

clean:
	rm -rf $(BUILD)
