# The workbook's commands. Each target creates .venv (python3 -m venv) and
# installs the package in editable mode the first time it is needed.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.cmr-installed
PORT   ?= 8888
# Jupyter refuses to run as root unless told; containers and CI often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: lab test test-lib test-notebooks bench audio html e2e clean help

help:
	@echo "make lab     open the workbook in JupyterLab (creates .venv on first use)"
	@echo "make test    run the library tests and execute every notebook with nbval"
	@echo "make bench   run the benchmarks, print what they measure"
	@echo "make audio   regenerate the example audio in audio/ from the scores"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

lab: $(STAMP)
	cd notebooks && ../$(VENV)/bin/jupyter lab --port=$(PORT) $(ROOT_FLAG) 00_Index.ipynb

test: test-lib test-notebooks

test-lib: $(STAMP)
	$(PY) -m pytest tests

test-notebooks: $(STAMP)
	$(PY) -m pytest --nbval-lax --sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider notebooks

bench: $(STAMP)
	$(PY) benchmarks/run.py

audio: $(STAMP)
	$(PY) scripts/make_audio.py

clean:
	rm -rf $(VENV) .cache build
