# slmbench — build, test, run.
#
# Layout: engine/ builds libslm.a (the inference engine, public header engine/slm.h);
# devices/ tasks/ results/ reports/ and harness/ (all but main.c) build libslmcore.a;
# harness/main.c links both into build/slmbench.
#
# Files named *_avx2.c and *_avx512.c get their ISA flags only for that file: the
# binary stays portable and picks a kernel set at run time from CPUID.
#
# BUILD=dir lets several builds (plain, sanitized, a developer's own) share the tree.

BUILD    ?= build
JOBS     ?= $(shell nproc 2>/dev/null || echo 2)
SANITIZE ?= 0
CC       ?= cc
PKGS      = libcjson libcpuid hwloc papi libpcre2-8 sqlite3 libcurl zlib libcrypto

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN     = -std=c11 -Wall -Wextra -Werror
CFLAGS  ?= -O2 -g
ALL_CFLAGS = $(WARN) $(CFLAGS) -D_GNU_SOURCE -pthread -I. -Iengine $(PKG_CFLAGS)
LDLIBS   = $(PKG_LIBS) -lm -pthread
ifeq ($(SANITIZE),1)
ALL_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS    += -fsanitize=address,undefined
endif

# The x86 ISA flags only when the compiler targets x86-64 (the *_avx*.c files
# compile to nothing elsewhere, e.g. aarch64: tests/cross/aarch64.sh).
ifneq ($(filter x86_64%,$(shell $(CC) -dumpmachine 2>/dev/null)),)
AVX2_FLAGS   = -mavx2 -mfma -mf16c
AVX512_FLAGS = -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni -mavx2 -mfma -mf16c
endif

ENGINE_SRC = $(wildcard engine/*.c)
CORE_SRC   = $(wildcard devices/*.c tasks/*.c results/*.c reports/*.c) $(filter-out harness/main.c,$(wildcard harness/*.c))
TEST_SRC   = $(wildcard tests/unit/test_*.c)

ENGINE_OBJ = $(ENGINE_SRC:%.c=$(BUILD)/obj/%.o)
CORE_OBJ   = $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN   = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)

GIT_COMMIT := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
GIT_DIRTY  := $(shell test -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" && echo -dirty)
BUILD_INFO = -DSLM_GIT_COMMIT='"$(GIT_COMMIT)$(GIT_DIRTY)"' -DSLM_CFLAGS='"$(CFLAGS)$(if $(filter 1,$(SANITIZE)), sanitize)"'

.PHONY: all deps run test test-unit test-asan test-cli bench fuzz clean
.DEFAULT_GOAL := all

all: $(BUILD)/slmbench $(BUILD)/libslm.a

$(BUILD)/obj/%_avx2.o: %_avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AVX2_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%_avx512.o: %_avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(AVX512_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/harness/build_info.o: harness/build_info.c $(wildcard .git/index)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(BUILD_INFO) -DSLM_CC='"$(shell $(CC) --version | head -1)"' -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libslm.a: $(ENGINE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/libslmcore.a: $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/slmbench: $(BUILD)/obj/harness/main.o $(BUILD)/libslmcore.a $(BUILD)/libslm.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(BUILD)/libslmcore.a $(BUILD)/libslm.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

tests-bin: $(TEST_BIN) $(BUILD)/slmbench
.PHONY: tests-bin

# Benchmark tools for `make bench` (tests/bench/*.c, one program each; not tests).
BENCH_BIN = $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(wildcard tests/bench/*.c))
$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libslm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libslm.a $(LDLIBS)

# ---- the README's two commands -------------------------------------------------
deps:
	@sh harness/install_deps.sh

run: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all
	@sh harness/make_run.sh $(BUILD)/slmbench

# Every test: unit tests (plain and under ASan+UBSan), the engine's aarch64
# build under qemu-user when its cross tools are installed, then CLI tests.
test: deps
	@$(MAKE) --no-print-directory -j$(JOBS) tests-bin
	@$(MAKE) --no-print-directory -j$(JOBS) BUILD=build-asan SANITIZE=1 CFLAGS="-O1 -g" tests-bin
	@sh tests/cross/aarch64.sh build-aarch64
	@sh tests/run_tests.sh build build-asan build-aarch64

bench: deps
	@$(MAKE) --no-print-directory -j$(JOBS) all $(BENCH_BIN)
	@sh harness/make_bench.sh $(BUILD)/slmbench

FUZZ_SECONDS ?= 60
fuzz: deps
	@sh tests/fuzz/run_fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf build build-asan build-fuzz build-*

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# Keep objects of test binaries (they are intermediate files to make).
.SECONDARY:
