# Thin wrapper around CMake. The two commands of the README:
#   make run    build and start a node on its embedded default config (shell on 9008)
#   make test   build with ASan+UBSan and run every test with ctest
BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
ARGS       ?=

.PHONY: all run test build build-test bench clean format

all: build

build:
	@scripts/deps.sh run
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/micros $(ARGS)

build-test:
	@scripts/deps.sh test
	@scripts/deps.sh cross
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMICROS_SANITIZE=ON -DMICROS_WERROR=ON
	cmake --build $(TEST_BUILD) -j $(JOBS)

test: build-test
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
