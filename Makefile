# Two commands do everything on a fresh machine (Python >= 3.11.5, no root needed):
#   make demo   set up .venv, validate the sample ledger, render its reports
#   make test   set up .venv and run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2

.PHONY: setup demo test bench lock lab clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev,lab,cluster]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (forecast)" >/dev/null
	touch $(STAMP)

demo: setup
	$(BIN)/forecast validate data/sample
	$(BIN)/forecast summary data/sample --zone mianyang
	$(BIN)/forecast batch data/sample --workers 2

test: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile -q

bench: setup
	$(BIN)/python bench/load.py
	$(BIN)/python bench/fit.py
	$(BIN)/python bench/predict.py
	$(BIN)/python bench/batch.py

lab: setup
	$(BIN)/jupyter lab notebooks/

# Re-pin every dependency after editing pyproject.toml.
lock:
	rm -rf .lockenv && $(PYTHON) -m venv .lockenv
	.lockenv/bin/python -m pip install --quiet --upgrade "pip>=24"
	.lockenv/bin/python -m pip install --quiet -e ".[dev,lab,cluster]"
	{ echo "# Pinned versions for every install (make uses: pip install -c constraints.txt)."; \
	  echo "# Regenerate with: make lock"; \
	  .lockenv/bin/python -m pip freeze --exclude-editable | sort -f; } > constraints.txt
	rm -rf .lockenv

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
