#!/usr/bin/env bash
# Runs the command with each "%RANK%" in its arguments replaced by this process's MPI rank, to
# start the ranks of one mpirun with different flags on purpose (the mismatch tests).
rank="${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-${PMIX_RANK:-0}}}"
args=()
for a in "$@"; do args+=("${a//%RANK%/$rank}"); done
exec "${args[@]}"
