# kneesight: the two commands a fresh machine needs are `make demo` and `make test`.
# Both create .venv at the repo root, install what is missing and build the extension.

VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.deps-stamp
export VIRTUAL_ENV := $(abspath $(VENV))

.PHONY: demo test setup build rust-test lint stubcheck pytest bench clean help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml scripts/system-deps.sh
	./scripts/system-deps.sh --test
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "maturin>=1.7,<2"
	$(PY) scripts/print_deps.py | xargs $(PY) -m pip install -q
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install system and Python dependencies

build: setup  ## build the extension (release) into .venv
	$(VENV)/bin/maturin develop --release -q

demo: build  ## render a phantom drop jump, analyse it and write the report
	$(VENV)/bin/kneesight demo

rust-test:  ## cargo tests of the pure Rust core
	cargo test -p kneesight-core --release

lint: setup  ## rustfmt, clippy and ruff
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/ruff check python tests benchmarks scripts
	$(VENV)/bin/ruff format --check python tests benchmarks scripts

stubcheck: build  ## check python/kneesight/_core.pyi against the built module
	$(PY) -m mypy.stubtest kneesight._core --allowlist scripts/stubtest-allowlist.txt

pytest: build  ## the Python test suite
	$(PY) -m pytest -q

test: build rust-test lint stubcheck pytest  ## everything CI runs

bench: build  ## print speed and accuracy benchmarks (accuracy takes several minutes)
	$(PY) benchmarks/deproject.py
	$(PY) benchmarks/segment.py
	$(PY) benchmarks/track.py
	$(PY) benchmarks/phantom_render.py
	$(PY) benchmarks/accuracy.py
	$(PY) benchmarks/events.py
	$(PY) benchmarks/analyze.py

clean:  ## remove build products (recordings you made are never touched)
	cargo clean
	rm -rf $(VENV)
