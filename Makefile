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
	@echo "make e2e     run every notebook in JupyterLab in headless Chromium and check it (needs Debian's chromium)"
	@echo "make html    execute the notebooks and render the static site into build/site/"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,site]'
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

# Browser test: JupyterLab + Debian's /usr/bin/chromium driven by Playwright
# (no browser download). Hard limit E2E_TIMEOUT seconds for the whole run;
# each notebook has its own limit (CMR_E2E_TIMEOUT, default 120 s).
E2E_STAMP   := $(VENV)/.cmr-e2e-installed
E2E_TIMEOUT ?= 1800
E2E_ARGS    ?=

$(E2E_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,e2e,site]'
	touch $(E2E_STAMP)

e2e: $(E2E_STAMP)
	@test -x "$${CMR_CHROMIUM:-/usr/bin/chromium}" || { \
	  echo "make e2e needs Debian's chromium: run 'apt-get install -y chromium' as root (or set CMR_CHROMIUM)"; exit 1; }
	CMR_E2E=1 timeout -k 30 $(E2E_TIMEOUT) $(PY) -m pytest tests/e2e -p no:cacheprovider -v -s $(E2E_ARGS)

html: $(STAMP)
	$(PY) scripts/build_site.py

clean:
	rm -rf $(VENV) .cache build
