# Thin wrapper around CMake. The two commands of the README:
#   make run    build and start a node on its embedded default config (shell on 9008)
#   make test   build with ASan+UBSan and run every test with ctest
BUILD      ?= build
TEST_BUILD ?= build-test
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
ARGS       ?=

.PHONY: all run test build build-test bench clean format

all: build

# The run build needs only the run packages: tests, fuzz replays and the cross test are left out.
build:
	@scripts/deps.sh run
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DMICROS_TESTS=OFF
	cmake --build $(BUILD) -j $(JOBS) --target micros microsctl

# The node prints where it is (shell address and port, web UI, data folder) once it listens.
run: build
	./$(BUILD)/micros $(ARGS)

build-test:
	@scripts/deps.sh test
	cmake -S . -B $(TEST_BUILD) -DCMAKE_BUILD_TYPE=Debug -DMICROS_SANITIZE=ON -DMICROS_WERROR=ON \
	      -DMICROS_TESTS=ON
	cmake --build $(TEST_BUILD) -j $(JOBS)

test: build-test
	cd $(TEST_BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	./bench/run.sh $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(TEST_BUILD)
