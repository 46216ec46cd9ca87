#!/usr/bin/env bash
# Distributed training with torchrun: bash tools/dist_train.sh CONFIG NUM_PROCESSES [train.py options]
# Works on GPUs (one process per GPU, nccl) and on CPU-only machines (gloo). NNODES, NODE_RANK, PORT, MASTER_ADDR and
# PYTHON (the interpreter to launch with) come from the environment, as described in tools/dist_launch.sh.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: bash tools/dist_train.sh CONFIG NUM_PROCESSES [train.py options]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2

exec bash "$(dirname "$0")/dist_launch.sh" "$(dirname "$0")/train.py" "$GPUS" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
