#!/usr/bin/env bash
# The torchrun launch that tools/dist_train.sh and tools/dist_test.sh share:
#   bash tools/dist_launch.sh SCRIPT NUM_PROCESSES [SCRIPT arguments]
# runs SCRIPT in NUM_PROCESSES processes (one per GPU with nccl, or on CPU with gloo) with the repository on
# PYTHONPATH. NNODES (default 1), NODE_RANK (0), PORT (29500), MASTER_ADDR (127.0.0.1) and PYTHON, the interpreter to
# launch with (default `python` from PATH; e.g. a virtualenv's python called by path), come from the environment.
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: bash tools/dist_launch.sh SCRIPT NUM_PROCESSES [SCRIPT arguments]" >&2
    exit 2
fi
SCRIPT=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname "$0")/..":${PYTHONPATH:-} \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$SCRIPT" \
    "${@:3}"
