# Commands for a fresh machine with only python3: each target creates .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint demo bench clean

DEMO := out/demo
P4 := examples/practice4_autoencoders
# the main job: Practice 4 on a synthetic IMDB-WIKI release (see examples/data)
DEMO_EPOCHS ?= 10

$(STAMP): setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,lint]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

demo: $(STAMP)
	mkdir -p $(DEMO)
	$(BIN)/python examples/data/make_synthetic_imdb_wiki.py --out $(DEMO)/wiki_synthetic -n 600
	$(BIN)/python examples/data/prepare_imdb_wiki.py --mat $(DEMO)/wiki_synthetic/wiki.mat \
		--out $(DEMO)/data_wiki --size 128
	cd $(DEMO) && ../../$(BIN)/python ../../$(P4)/main_train_stack.py -b cpu -e $(DEMO_EPOCHS) \
		-z 32 -r 0 --data_root data_wiki --serialize 5 --save_path model.prm \
		--stack_file mlp_stack_final.prm
	cd $(DEMO) && ../../$(BIN)/python ../../$(P4)/main_transfer.py -b cpu -e $(DEMO_EPOCHS) \
		-z 32 -r 0 --data_root data_wiki --serialize 5 --save_path model.prm \
		--source_model mlp_stack_final.prm -eval 1 -o transfer_curves.h5
	$(BIN)/python -m neon_compat.visualize $(DEMO)/transfer_curves.h5 -o $(DEMO)/curves.png

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0' || echo "torch not installed: PyTorch columns will be empty"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info out
