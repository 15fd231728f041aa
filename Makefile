# geoprobe — one plain Makefile.
#   make            libgeoprobe.a, libgeoprobe.so, ./geoprobe
#   make test       install missing Debian packages, build, run every test
#   make demo       install missing Debian packages, run the main job on datasets/
#   make asan       build and run the C tests under AddressSanitizer + UBSan
#   make valgrind   CLI tests on ./geoprobe under valgrind memcheck (part of make test)
#   make fuzz       libFuzzer harnesses in fuzz/ (clang), FUZZ_SECONDS each; not in make test
#   make MPI=1      ./geoprobe with Open MPI (mpirun -np N geoprobe pca|similarity|sweep ...)
#   make check-mpi  mpirun -np 2 and 3 against one process (part of make test)
#   make install PREFIX=/usr/local     library, header, CLI, geoprobe.pc
#   make clean

PREFIX    ?= /usr/local
CC        ?= cc
CFLAGS    ?= -O2 -g
PY        ?= /usr/bin/python3

GP_SOVERSION = 1
VERSION      = $(shell sed -n 's/^\#define GP_VERSION "\(.*\)"/\1/p' include/geoprobe.h)

# Dependencies through pkg-config, each with an override variable.
BLAS_CFLAGS   ?= $(shell pkg-config --cflags openblas 2>/dev/null)
BLAS_LIBS     ?= $(shell pkg-config --libs lapacke openblas 2>/dev/null || echo -llapacke -lopenblas)
CJSON_CFLAGS  ?= $(shell pkg-config --cflags libcjson 2>/dev/null)
CJSON_LIBS    ?= $(shell pkg-config --libs libcjson 2>/dev/null || echo -lcjson)
CMOCKA_LIBS   ?= $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
# Plots: cairo draws (PNG via its image surface, SVG, PDF); libpng writes PNG;
# fontconfig only to release its caches (gp_plot_shutdown).
CAIRO_CFLAGS  ?= $(shell pkg-config --cflags cairo libpng fontconfig 2>/dev/null || echo -I/usr/include/cairo -I/usr/include/libpng16)
CAIRO_LIBS    ?= $(shell pkg-config --libs cairo libpng fontconfig 2>/dev/null || echo -lcairo -lpng16 -lfontconfig)

# -ffast-math is never used: it breaks NaN checks and reproducibility.
WARN      = -std=c11 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Werror
BASEFLAGS = $(WARN) -D_GNU_SOURCE -Iinclude -Isrc $(BLAS_CFLAGS) $(CJSON_CFLAGS) $(CAIRO_CFLAGS)
LIBFLAGS  = $(BASEFLAGS) -DGP_BUILD -fPIC -fvisibility=hidden
LBFGS_LIBS    ?= -llbfgs
LDLIBS    = $(BLAS_LIBS) $(CJSON_LIBS) $(CAIRO_LIBS) $(LBFGS_LIBS) -lm -lpthread

LIB_SRC = $(sort $(wildcard src/*.c probes/*.c plots/*.c))
LIB_SRC := $(filter-out src/cli/%,$(LIB_SRC))
CLI_SRC = $(sort $(wildcard src/cli/*.c))
TEST_SRC = $(sort $(wildcard tests/test_*.c))

B        = build
LIB_OBJ  = $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(B)/%.o)
TEST_BIN = $(TEST_SRC:tests/%.c=$(B)/tests/%)
HEADERS  = $(wildcard include/*.h) $(wildcard src/*.h src/cli/*.h probes/*.h plots/*.h tests/*.h)

.PHONY: all test demo asan deps install clean check-c check-cli check-py check-mpi fixtures
all: libgeoprobe.a libgeoprobe.so geoprobe

$(B)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LIBFLAGS) -c $< -o $@

# The CLI is a client of the public header, built without the library's flags.
$(B)/src/cli/%.o: src/cli/%.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASEFLAGS) -c $< -o $@

libgeoprobe.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

libgeoprobe.so.$(GP_SOVERSION): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,$@ -o $@ $^ $(LDLIBS)
libgeoprobe.so: libgeoprobe.so.$(GP_SOVERSION)
	ln -sf $< $@

# The CLI links the static library, so ./geoprobe runs from the checkout.
# make MPI=1: the same CLI with Open MPI (mpirun -np N geoprobe pca ...).
# Only src/cli/dist.c differs (compiled by mpicc with GP_MPI); the library
# never depends on MPI. build/mpi/geoprobe is that CLI whatever MPI says
# (make check-mpi runs it).
MPICC    ?= mpicc
MPI_OBJ   = $(filter-out $(B)/src/cli/dist.o,$(CLI_OBJ)) $(B)/mpi/dist.o
$(B)/mpi/dist.o: src/cli/dist.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) $(BASEFLAGS) -DGP_MPI -c $< -o $@
$(B)/mpi/geoprobe: $(MPI_OBJ) libgeoprobe.a
	$(MPICC) $(CFLAGS) -o $@ $(MPI_OBJ) libgeoprobe.a $(LDLIBS)
# $(B)/.mpi changes only when MPI= does, so switching relinks ./geoprobe.
$(shell mkdir -p $(B); echo "$(MPI)" | cmp -s - $(B)/.mpi || echo "$(MPI)" > $(B)/.mpi)
ifeq ($(MPI),1)
geoprobe: $(MPI_OBJ) libgeoprobe.a $(B)/.mpi
	$(MPICC) $(CFLAGS) -o $@ $(MPI_OBJ) libgeoprobe.a $(LDLIBS)
else
geoprobe: $(CLI_OBJ) libgeoprobe.a $(B)/.mpi
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) libgeoprobe.a $(LDLIBS)
endif

# The ASan build's CLI (make asan runs the CLI tests with it).
$(B)/geoprobe: $(CLI_OBJ) $(TESTLIB)
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(TESTLIB) $(LDLIBS)

# Tests link the static library of their own build (root, or build/asan).
TESTLIB ?= libgeoprobe.a
$(B)/libgeoprobe.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^
$(B)/tests/%: tests/%.c $(TESTLIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASEFLAGS) -o $@ $< $(TESTLIB) $(CMOCKA_LIBS) $(LDLIBS)

deps:
	@sh scripts/deps.sh

# Fixtures are written at test time by numpy (tests/fixtures_*.py).
fixtures: | deps
	@mkdir -p $(B)/fixtures
	@for f in tests/fixtures_*.py; do [ -e "$$f" ] || continue; \
	    $(PY) $$f $(B)/fixtures || exit 1; done

check-c: $(TEST_BIN) fixtures
	@GP_FIXTURES=$(B)/fixtures sh tests/run_c_tests.sh $(TEST_BIN)

check-cli: geoprobe fixtures
	@for t in tests/test_cli*.sh; do GP_FIXTURES=$(B)/fixtures PY=$(PY) sh $$t || exit 1; done

# mpirun -np 2 and 3 against the one-process results (tests/test_mpi.sh,
# tests/test_mpi_ccs.sh);
# skipped, saying so, where Open MPI is not installed.
check-mpi: all fixtures
	@if command -v $(MPICC) >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1; then \
	    $(MAKE) --no-print-directory $(B)/mpi/geoprobe && \
	    GP_FIXTURES=$(B)/fixtures PY=$(PY) GEOPROBE_MPI=$(B)/mpi/geoprobe sh tests/test_mpi.sh && \
	    GP_FIXTURES=$(B)/fixtures PY=$(PY) GEOPROBE_MPI=$(B)/mpi/geoprobe sh tests/test_mpi_ccs.sh; \
	else echo "check-mpi: SKIP (no mpicc/mpirun; scripts/deps.sh installs openmpi-bin libopenmpi-dev)"; fi

check-py: all fixtures
	@if ls tests/test_*.py >/dev/null 2>&1; then \
	    GP_FIXTURES=$(B)/fixtures GEOPROBE_LIB=$(CURDIR)/libgeoprobe.so \
	    $(PY) -m pytest -q tests; fi

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check-c check-cli check-py check-mpi
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory valgrind

# AddressSanitizer + UndefinedBehaviorSanitizer build of the library and the
# C tests, in build/asan (example: make asan).
asan: deps
	@$(MAKE) --no-print-directory B=build/asan \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    TESTLIB=build/asan/libgeoprobe.a asan-run
asan-run: $(TEST_BIN) $(B)/geoprobe fixtures
	@echo "== C and CLI tests under ASan+UBSan"
	@ASAN_OPTIONS=detect_leaks=1 GP_FIXTURES=$(B)/fixtures sh tests/run_c_tests.sh $(TEST_BIN)
	@for t in tests/test_cli*.sh; do ASAN_OPTIONS=detect_leaks=1 GP_FIXTURES=$(B)/fixtures \
	    GEOPROBE=$(B)/geoprobe PY=$(PY) sh $$t || exit 1; done

# valgrind memcheck of the plain build's ./geoprobe under the CLI tests:
# test_cli.sh (info on every kind of good and broken file, labels, JSON),
# test_cli_disk.sh (every writer, on good and refusing disks), and the
# pca, probe and ccs suites (about 1 min each under valgrind on 2 cores).
# test_cli_plot.sh (~4 min: 70 runs, each paying cairo/fontconfig start-up
# under valgrind) and test_cli_sweep.sh (~6 min: whole sweeps of 6 layers
# x 2 datasets x 4 methods) are left to ASan; run them with
# VALGRIND_TESTS=tests/test_cli_plot.sh. Each run goes through
# tests/valgrind_geoprobe.sh: an invalid read/write, uninitialised use or
# definite leak makes it exit 99 and leaves a log; then this fails. The log
# folder is world-writable: the read-only-folder tests run as nobody.
.PHONY: valgrind fuzz fuzz-build fuzz-run
VALGRIND_TESTS ?= tests/test_cli.sh tests/test_cli_disk.sh tests/test_cli_pca.sh \
                  tests/test_cli_probe.sh tests/test_cli_ccs.sh
valgrind: all fixtures
	@echo "== CLI tests under valgrind memcheck: $(VALGRIND_TESTS)"
	@rm -rf $(B)/valgrind && mkdir -p $(B)/valgrind && chmod 1777 $(B)/valgrind
	@for t in $(VALGRIND_TESTS); do GP_FIXTURES=$(B)/fixtures PY=$(PY) \
	    GEOPROBE=tests/valgrind_geoprobe.sh GP_VALGRIND_LOGS=$(CURDIR)/$(B)/valgrind \
	    sh $$t || exit 1; done
	@sh tests/valgrind_geoprobe.sh --check-logs $(B)/valgrind

# libFuzzer harnesses (fuzz/, clang): each runs FUZZ_SECONDS on its seed
# corpus fuzz/corpus/NAME plus what it found before (build/fuzz/corpus/NAME);
# crashes are saved as build/fuzz/crash-NAME-*. One harness: FUZZ_NAMES=npy.
# Warnings are not errors in this build (clang warns where gcc does not).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_NAMES   ?= npy safetensors labels report_config
fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo "make fuzz needs clang (apt-get install clang)" >&2; exit 1; }
	@$(MAKE) --no-print-directory B=build/fuzz CC=$(FUZZ_CC) WARN="$(WARN) -Wno-error" \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    TESTLIB=build/fuzz/libgeoprobe.a fuzz-run
fuzz-build: $(FUZZ_NAMES:%=$(B)/fuzz/fuzz_%)
$(B)/fuzz/fuzz_%: fuzz/fuzz_%.c fuzz/fuzz_common.h $(TESTLIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(BASEFLAGS) -o $@ $< $(TESTLIB) $(LDLIBS)
# The config reader is CLI code: the harness links the CLI objects it needs
# (util.c prints errors through dist.c, which holds them back on MPI ranks).
FUZZ_CLI_OBJ = $(B)/src/cli/sweep_config.o $(B)/src/cli/sweep_run.o $(B)/src/cli/util.o \
               $(B)/src/cli/dist.o
$(B)/fuzz/fuzz_report_config: fuzz/fuzz_report_config.c fuzz/fuzz_common.h $(FUZZ_CLI_OBJ) $(TESTLIB) $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(BASEFLAGS) -o $@ $< $(FUZZ_CLI_OBJ) $(TESTLIB) $(LDLIBS)
fuzz-run: fuzz-build
	@for n in $(FUZZ_NAMES); do mkdir -p $(B)/corpus/$$n; \
	    echo "== fuzz_$$n for $(FUZZ_SECONDS) s"; \
	    $(B)/fuzz/fuzz_$$n -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	        -max_len=4096 -dict=fuzz/$$n.dict -artifact_prefix=$(B)/crash-$$n- \
	        -print_final_stats=1 $(B)/corpus/$$n fuzz/corpus/$$n || exit 1; done

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

geoprobe.pc: Makefile
	@printf 'prefix=%s\nlibdir=$${prefix}/lib\nincludedir=$${prefix}/include\n\nName: geoprobe\nDescription: linear probing and representation geometry of neural-network activations\nVersion: %s\nRequires.private: openblas libcjson cairo libpng fontconfig\nLibs: -L$${libdir} -lgeoprobe\nLibs.private: -llapacke -llbfgs -lm -lpthread\nCflags: -I$${includedir}\n' \
	    '$(PREFIX)' '$(VERSION)' > $@

install: all geoprobe.pc
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/bin
	install -m 644 libgeoprobe.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 libgeoprobe.so.$(GP_SOVERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libgeoprobe.so.$(GP_SOVERSION) $(DESTDIR)$(PREFIX)/lib/libgeoprobe.so
	install -m 644 include/geoprobe.h include/geoprobe_ccs.h include/geoprobe_plot.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 geoprobe.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 755 geoprobe $(DESTDIR)$(PREFIX)/bin/

clean:
	rm -rf $(B) build libgeoprobe.a libgeoprobe.so libgeoprobe.so.* geoprobe geoprobe.pc
