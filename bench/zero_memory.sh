#!/usr/bin/env bash
# ZeRO-1's per-rank memory saving: the shakespeare-gpt step (GPT, AdamW, DDP) at a larger width,
# 2 ranks, with the whole AdamW state on every rank and then sharded; optimizer-state bytes and
# peak RSS per rank, and the saving.
#   ninja -C build zero_memory && bench/zero_memory.sh [RANKS=2] [extra flags: --n-embd 512 --n-layer 4 --steps 3]
set -euo pipefail
cd "$(dirname "$0")/.."
ranks=${1:-2}
shift $(( $# > 0 ? 1 : 0 )) || true
bin=build/bench/zero_memory
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none --mca btl self,vader --mca pml ob1)
export EMBER_NUM_THREADS=1
log=$(mktemp)
for z in 0 1; do
  "${mpi[@]}" -np "$ranks" "$bin" --zero "$z" "$@" | grep RESULT | tee -a "$log"
done
/usr/bin/python3 - "$log" <<'PY'
import sys
rows = [dict(kv.split("=") for kv in line.split()[2:]) for line in open(sys.argv[1]) if line.startswith("RESULT")]
for r in rows:
    print(f"  zero={r['zero']} rank {r['rank']}: optimizer state {int(r['opt_state_bytes']) / 2**20:8.2f} MiB, "
          f"peak RSS {float(r['peak_rss_mb']):8.1f} MiB, sum |w| {r['weights_abs_sum']}")
mx = lambda z, k: max(float(r[k]) for r in rows if r["zero"] == z)
print(f"GPT with {rows[0]['params']} parameters, {rows[0]['ranks']} ranks: optimizer state per rank "
      f"{mx('0', 'opt_state_bytes') / 2**20:.2f} -> {mx('1', 'opt_state_bytes') / 2**20:.2f} MiB "
      f"({100 * (1 - mx('1', 'opt_state_bytes') / mx('0', 'opt_state_bytes')):.1f}% less); peak RSS per rank "
      f"{mx('0', 'peak_rss_mb'):.1f} -> {mx('1', 'peak_rss_mb'):.1f} MiB "
      f"({mx('0', 'peak_rss_mb') - mx('1', 'peak_rss_mb'):.1f} MiB less)")
print("trained weights agree with and without --zero:", len({r["weights_abs_sum"] for r in rows}) == 1)
PY
rm -f "$log"
