#!/usr/bin/env bash
# Creates .venv at the repository root and installs qcnn_tl with everything it needs.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
# torch first, pinned: these builds of torch and torchvision import together.
.venv/bin/python -m pip install --quiet torch==2.14.1 torchvision==0.29.1
.venv/bin/python -m pip install --quiet -e '.[dev,docs]'
echo "qcnn_tl installed in $(pwd)/.venv"
