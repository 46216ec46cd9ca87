#!/usr/bin/env bash
# Distributed testing with torchrun: bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py options]
# NNODES, NODE_RANK, PORT, MASTER_ADDR and PYTHON (the interpreter to launch with) come from the environment, as
# described in tools/dist_launch.sh.
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: bash tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py options]" >&2
    exit 2
fi
CONFIG=$1
CHECKPOINT=$2
GPUS=$3

exec bash "$(dirname "$0")/dist_launch.sh" "$(dirname "$0")/test.py" "$GPUS" \
    "$CONFIG" \
    "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
