#!/usr/bin/env bash
# Data-parallel scaling of the seed CNN: 1 rank x 1 thread against N ranks x 1 thread at the same
# global batch, interleaved, medians of REPS runs; then the allreduce bandwidth of 100 MB. Each
# repetition also runs the N ranks without DDP (--independent 1: each trains its own copy on its
# shard, no communication), which is how far N processes scale on this machine at all: the ceiling
# DDP's ratio is to be read against.
#   ninja -C build ddp_scaling && bench/ddp_scaling.sh [REPS=5] [RANKS=2] [extra train flags]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
ranks=${2:-2}
shift $(( $# > 2 ? 2 : $# )) || true
bin=build/bench/ddp_scaling
# Each rank on its own core (mpirun's --bind-to core), one compute thread each.
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to core --mca btl self,vader --mca pml ob1)
export EMBER_NUM_THREADS=1
log=$(mktemp)
echo "load before: $(uptime)"
for ((i = 1; i <= reps; ++i)); do
  "${mpi[@]}" -np 1 "$bin" train --global-batch 64 --steps 40 "$@" | grep RESULT | tee -a "$log"
  "${mpi[@]}" -np "$ranks" "$bin" train --global-batch 64 --steps 40 --independent 1 "$@" | grep RESULT |
    sed 's/^RESULT train /RESULT independent /' | tee -a "$log"
  "${mpi[@]}" -np "$ranks" "$bin" train --global-batch 64 --steps 40 "$@" | grep RESULT | tee -a "$log"
done
"${mpi[@]}" -np "$ranks" "$bin" allreduce --mb 100 --reps 7 | grep RESULT | tee -a "$log"
echo "load after: $(uptime)"
/usr/bin/python3 - "$log" "$ranks" <<'PY'
import re, statistics, sys
rows = [dict(kv.split("=") for kv in line.split()[2:]) for line in open(sys.argv[1]) if line.startswith("RESULT train")]
free = [dict(kv.split("=") for kv in line.split()[2:]) for line in open(sys.argv[1]) if line.startswith("RESULT independent")]
one = [r for r in rows if r["ranks"] == "1"]
many = [r for r in rows if r["ranks"] == sys.argv[2]]
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
a, b = med(one, "img_per_s"), med(many, "img_per_s")
print(f"seed CNN, global batch 64, 1 thread per rank, medians of {len(one)} runs")
print(f"  1 rank : {a:8.1f} images/s, step {med(one, 'step_ms'):.2f} ms ({med(one, 'cpu_ms'):.2f} ms CPU)")
print(f"  {sys.argv[2]} ranks: {b:8.1f} images/s, step {med(many, 'step_ms'):.2f} ms ({med(many, 'cpu_ms'):.2f} ms CPU per rank), "
      f"DDP on the backward thread {med(many, 'hook_ms'):.2f} ms in hooks + {med(many, 'wait_ms'):.2f} ms waiting at the end "
      f"({100 * med(many, 'comm_share'):.1f}% of the step, not overlapped), "
      f"one allreduce of all {many[0]['grad_mb']} MB of gradients alone {med(many, 'serial_allreduce_ms'):.2f} ms")
c = med(free, "img_per_s")
print(f"  {sys.argv[2]} ranks without DDP (independent, no communication): {c:8.1f} images/s, step {med(free, 'step_ms'):.2f} ms: "
      f"the machine's ceiling {c / a:.2f}x")
print(f"  DDP reaches {100 * b / c:.1f}% of the ceiling")
# From CPU time: one rank spends cpu1 on a global batch; each of N ranks (one core each, in
# parallel) spends cpuN on its share, so N ranks would finish a global batch cpu1 / cpuN faster
# on otherwise idle cores.
print(f"  throughput ratio {b / a:.2f}x; from CPU time per step {med(one, 'cpu_ms'):.2f} / {med(many, 'cpu_ms'):.2f} = "
      f"{med(one, 'cpu_ms') / med(many, 'cpu_ms'):.2f}x")
PY
rm -f "$log"
