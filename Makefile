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
# 64x64 keeps out/demo small (checkpoints scale with the pixels); the document's 128:
# make demo DEMO_SIZE=128
DEMO_SIZE ?= 64

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
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(BIN)/python examples/data/make_synthetic_imdb_wiki.py --out $(DEMO)/wiki_synthetic -n 600
	$(BIN)/python examples/data/prepare_imdb_wiki.py --mat $(DEMO)/wiki_synthetic/wiki.mat \
		--out $(DEMO)/data_wiki --size $(DEMO_SIZE)
	cd $(DEMO) && ../../$(BIN)/python ../../$(P4)/main_train_stack.py -b cpu -e $(DEMO_EPOCHS) \
		-z 32 -r 0 --data_root data_wiki --serialize 5 --save_path model.prm \
		--stack_file mlp_stack_final.prm --image_size $(DEMO_SIZE)
	# the stack's per-step checkpoints and the encoded datasets between its steps are
	# intermediate: the transfer needs only mlp_stack_final.prm
	rm -f $(DEMO)/model.step_*.prm $(DEMO)/model_outputs_step*.h5
	cd $(DEMO) && ../../$(BIN)/python ../../$(P4)/main_transfer.py -b cpu -e $(DEMO_EPOCHS) \
		-z 32 -r 0 --data_root data_wiki --serialize 5 --save_path model.prm \
		--source_model mlp_stack_final.prm -eval 1 -o transfer_curves.h5
	$(BIN)/python -m neon_compat.visualize $(DEMO)/transfer_curves.h5 -o $(DEMO)/curves.png
	$(BIN)/python examples/data/write_demo_readme.py $(DEMO)

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet 'torch==2.13.0' || echo "torch not installed: PyTorch columns will be empty"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info out
