#!/usr/bin/env bash
# Creates the virtualenv that memento-bench's peers run in (outside the repository) and
# installs them from PyPI: PyTorch (about 3 GB with its CUDA libraries; it runs on the CPU),
# Gymnasium, NumPy, safetensors, nbformat, POPGym.
set -euo pipefail
venv="${MEMENTO_VENV:-$HOME/.cache/memento-peers}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q torch numpy gymnasium safetensors nbformat
"$venv/bin/pip" install -q popgym || echo "popgym could not be installed; its peers will be skipped" >&2
echo "peers installed in $venv; memento-bench finds them there (or set MEMENTO_PEERS_PYTHON)"
