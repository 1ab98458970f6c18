#!/usr/bin/env bash
# nbd-vs-peers.sh: Weir's NBD front end against nbdkit and qemu-nbd, with fio's nbd engine on Unix sockets.
#
# Targets (all serve a raw file of the same size filled with random data, each its own copy, all on the
# same file system, all through the page cache):
#   weir          Weir, file backend, no filters
#   weir+pt       Weir, file backend, the pass-through sample filter (INSPECTION)
#   nbdkit        nbdkit file plugin                   (nbdkit -U SOCK file FILE)
#   nbdkit+nof    nbdkit file plugin + 1 pass-through  (--filter=nofilter)
#   qemu-nbd      qemu-nbd -f raw --cache=$QEMU_CACHE --aio=$QEMU_AIO
# Jobs: 4 KiB randread / randwrite at QD 1, 16, 64; 1 MiB sequential read / write at QD 8.
#
# All servers run at once (idle ones cost nothing); each repeat runs every job on every target in turn, so
# a slow patch of a shared machine hits all targets alike. The table shows medians over the repeats.
# Ratio: weir / nbdkit (file plugin), and weir+pt / nbdkit+nof (one pass-through filter each), by IOPS.
#
# Usage: bench/nbd-vs-peers.sh            (environment knobs below; all optional)
#   RUNTIME=5        seconds per fio job          REPEATS=3      repeats (medians are reported)
#   SIZE=1G          file size                    WARMUP=5       seconds of warm-up per target
#   TARGETS="weir weir+pt nbdkit nbdkit+nof qemu-nbd"   JOBS="rr1 rr16 rr64 rw1 rw16 rw64 sr8 sw8"
#   QEMU_CACHE=writeback QEMU_AIO=threads             WEIR_THREADS=  (file backend 'threads' option)
#   KEEP_JSON=DIR    keep fio's JSON output there     BENCH_DIR=     parent of the temp dir (default /tmp)
# Time: about REPEATS x |TARGETS| x |JOBS| x RUNTIME, plus ~30 s of setup (defaults: ~10 min).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNTIME="${RUNTIME:-5}"
REPEATS="${REPEATS:-3}"
SIZE="${SIZE:-1G}"
WARMUP="${WARMUP:-5}"
TARGETS="${TARGETS:-weir weir+pt nbdkit nbdkit+nof qemu-nbd}"
JOBS="${JOBS:-rr1 rr16 rr64 rw1 rw16 rw64 sr8 sw8}"
QEMU_CACHE="${QEMU_CACHE:-writeback}"
QEMU_AIO="${QEMU_AIO:-threads}"
WEIR_THREADS="${WEIR_THREADS:-}"
KEEP_JSON="${KEEP_JSON:-}"

for tool in fio nbdkit qemu-nbd jq java; do
  command -v "$tool" >/dev/null || { echo "nbd-vs-peers: $tool is required" >&2; exit 2; }
done
jar="$root/runtime/launcher/target/weir.jar"
[[ -f "$jar" ]] || { echo "nbd-vs-peers: $jar is missing; build first (mvn -B -q -DskipTests install)" >&2; exit 2; }

work="$(mktemp -d "${BENCH_DIR:-/tmp}/nbd-vs-peers.XXXXXX")"
pids=()
weir_dir="$work/weir"
weir_started=
# The jar directly (not ./weir, which would rebuild the whole tree when a source is newer than the jar).
read -r -a weir_opts <<< "${WEIR_JAVA_OPTS:-}"
weir() { java ${weir_opts[@]+"${weir_opts[@]}"} -jar "$jar" "$@"; }

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$weir_started" ]]; then
    WEIR_DATA_DIR="$weir_dir" weir stop >/dev/null 2>&1 || true
  fi
  for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null || true
  done
  for p in "${pids[@]}"; do
    wait "$p" 2>/dev/null || true
  done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[$(date +%T)] $*" >&2; }

wait_socket() { # path, pid, what
  local i
  for ((i = 0; i < 600; i++)); do
    [[ -S "$1" ]] && return 0
    kill -0 "$2" 2>/dev/null || { echo "nbd-vs-peers: $3 exited early" >&2; cat "$work/$3.log" >&2 || true; exit 1; }
    sleep 0.1
  done
  echo "nbd-vs-peers: $3 did not create $1 in 60 s" >&2
  exit 1
}

has() { [[ " $TARGETS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- files
log "creating a $SIZE file of random data in $work"
head -c "$SIZE" /dev/urandom > "$work/seed.img"
bytes=$(stat -c %s "$work/seed.img")
for t in $TARGETS; do
  case "$t" in
    weir) cp "$work/seed.img" "$work/weir0.img" ;;
    weir+pt) cp "$work/seed.img" "$work/weir1.img" ;;
    nbdkit|nbdkit+nof) [[ -f "$work/nbdkit.img" ]] || cp "$work/seed.img" "$work/nbdkit.img" ;;
    qemu-nbd) cp "$work/seed.img" "$work/qemu.img" ;;
    *) echo "nbd-vs-peers: unknown target $t" >&2; exit 2 ;;
  esac
done
rm -f "$work/seed.img"
sync

# ---------------------------------------------------------------- servers
declare -A uri
if has weir || has weir+pt; then
  log "starting Weir (data dir $weir_dir)"
  mkdir -p "$weir_dir"
  WEIR_DATA_DIR="$weir_dir" java ${weir_opts[@]+"${weir_opts[@]}"} -jar "$jar" run --no-demo > "$work/weir.log" 2>&1 &
  pids+=($!)
  weir_started=1
  wait_socket "$weir_dir/run/nbd.sock" "${pids[-1]}" weir
  topt=()
  [[ -n "$WEIR_THREADS" ]] && topt=(--option "threads=$WEIR_THREADS")
  if has weir; then
    WEIR_DATA_DIR="$weir_dir" weir disk create bench0 --size "$bytes" --option "path=$work/weir0.img" \
        ${topt[@]+"${topt[@]}"} >/dev/null
    uri[weir]="nbd+unix:///bench0?socket=$weir_dir/run/nbd.sock"
  fi
  if has weir+pt; then
    WEIR_DATA_DIR="$weir_dir" weir disk create bench1 --size "$bytes" --option "path=$work/weir1.img" \
        ${topt[@]+"${topt[@]}"} >/dev/null
    WEIR_DATA_DIR="$weir_dir" weir filter attach bench1 passthrough >/dev/null
    uri[weir+pt]="nbd+unix:///bench1?socket=$weir_dir/run/nbd.sock"
  fi
fi
if has nbdkit; then
  nbdkit -f -U "$work/nbdkit.sock" file "$work/nbdkit.img" > "$work/nbdkit.log" 2>&1 &
  pids+=($!)
  wait_socket "$work/nbdkit.sock" "${pids[-1]}" nbdkit
  uri[nbdkit]="nbd+unix:///?socket=$work/nbdkit.sock"
fi
if has nbdkit+nof; then
  nbdkit -f -U "$work/nbdkit-nof.sock" --filter=nofilter file "$work/nbdkit.img" > "$work/nbdkit+nof.log" 2>&1 &
  pids+=($!)
  wait_socket "$work/nbdkit-nof.sock" "${pids[-1]}" nbdkit+nof
  uri[nbdkit+nof]="nbd+unix:///?socket=$work/nbdkit-nof.sock"
fi
if has qemu-nbd; then
  qemu-nbd -f raw -t -e 8 -k "$work/qemu.sock" --cache="$QEMU_CACHE" --aio="$QEMU_AIO" "$work/qemu.img" \
      > "$work/qemu-nbd.log" 2>&1 &
  pids+=($!)
  wait_socket "$work/qemu.sock" "${pids[-1]}" qemu-nbd
  uri[qemu-nbd]="nbd+unix:///?socket=$work/qemu.sock"
fi

# Page cache warm for every file: all targets read through it.
cat "$work"/*.img > /dev/null

# ---------------------------------------------------------------- jobs
job_args() { # job -> fio arguments
  case "$1" in
    rr1) echo "--rw=randread --bs=4k --iodepth=1" ;;
    rr16) echo "--rw=randread --bs=4k --iodepth=16" ;;
    rr64) echo "--rw=randread --bs=4k --iodepth=64" ;;
    rw1) echo "--rw=randwrite --bs=4k --iodepth=1" ;;
    rw16) echo "--rw=randwrite --bs=4k --iodepth=16" ;;
    rw64) echo "--rw=randwrite --bs=4k --iodepth=64" ;;
    sr8) echo "--rw=read --bs=1m --iodepth=8" ;;
    sw8) echo "--rw=write --bs=1m --iodepth=8" ;;
    *) echo "nbd-vs-peers: unknown job $1" >&2; exit 2 ;;
  esac
}
job_dir() { case "$1" in rr*|sr*) echo read ;; *) echo write ;; esac; }
job_label() {
  case "$1" in
    rr*) echo "4k randread QD${1#rr}" ;; rw*) echo "4k randwrite QD${1#rw}" ;;
    sr8) echo "1M seqread QD8" ;; sw8) echo "1M seqwrite QD8" ;;
  esac
}

run_fio() { # target job seconds out.json
  # shellcheck disable=SC2046
  fio --name=b --ioengine=nbd --uri="${uri[$1]}" $(job_args "$2") --size="$bytes" --time_based \
      --runtime="$3" --norandommap --randrepeat=0 --group_reporting --output-format=json --output="$4" \
      > /dev/null 2>"$4.err" || { echo "nbd-vs-peers: fio failed on $1 $2" >&2; cat "$4.err" >&2; exit 1; }
}

log "warming up each target for ${WARMUP}s"
for t in $TARGETS; do
  fio --name=w --ioengine=nbd --uri="${uri[$t]}" --rw=randrw --bs=4k --iodepth=16 --size="$bytes" \
      --time_based --runtime="$WARMUP" --output-format=json --output="$work/warm.json" >/dev/null 2>&1 \
    || { echo "nbd-vs-peers: warm-up failed on $t" >&2; exit 1; }
done

results="$work/results.tsv"
: > "$results"
n_jobs=$(wc -w <<< "$JOBS"); n_t=$(wc -w <<< "$TARGETS")
log "measuring: $REPEATS x $n_t targets x $n_jobs jobs x ${RUNTIME}s"
for ((r = 1; r <= REPEATS; r++)); do
  for j in $JOBS; do
    for t in $TARGETS; do
      out="$work/$t.$j.$r.json"
      run_fio "$t" "$j" "$RUNTIME" "$out"
      d=$(job_dir "$j")
      jq -r --arg t "$t" --arg j "$j" --arg d "$d" \
        '.jobs[0][$d] | [$t, $j, .iops, (.bw_bytes / 1e6), (.clat_ns.percentile["99.000000"] / 1000)] | @tsv' \
        "$out" >> "$results"
      [[ -n "$KEEP_JSON" ]] && { mkdir -p "$KEEP_JSON"; cp "$out" "$KEEP_JSON/"; }
    done
  done
  log "repeat $r/$REPEATS done"
done

# ---------------------------------------------------------------- table
median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
med() { awk -F'\t' -v t="$1" -v j="$2" -v c="$3" '$1==t && $2==j {print $c}' "$results" | median; }

echo
echo "nbd-vs-peers: fio $(fio --version | sed 's/fio-//') nbd engine, Unix sockets, file $SIZE of random data" \
     "(page cache), ${RUNTIME}s per job, median of $REPEATS; $(nproc) CPUs; qemu-nbd --cache=$QEMU_CACHE" \
     "--aio=$QEMU_AIO${WEIR_THREADS:+; Weir file threads=$WEIR_THREADS}"
echo
printf '| %-18s | %-11s | %10s | %9s | %10s | %-22s |\n' job target IOPS MB/s "p99 µs" "ratio (IOPS)"
echo '|--------------------|-------------|------------|-----------|------------|------------------------|'
for j in $JOBS; do
  for t in $TARGETS; do
    iops=$(med "$t" "$j" 3); mbs=$(med "$t" "$j" 4); p99=$(med "$t" "$j" 5)
    ratio=""
    ref=""
    case "$t" in
      weir) has nbdkit && ref=nbdkit ;;
      weir+pt) has nbdkit+nof && ref=nbdkit+nof; [[ -z "$ref" ]] && has nbdkit && ref=nbdkit ;;
    esac
    if [[ -n "$ref" ]]; then
      r=$(awk -v a="$iops" -v b="$(med "$ref" "$j" 3)" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')
      ratio="$r x $ref"
    fi
    printf '| %-18s | %-11s | %10.0f | %9.1f | %10.0f | %-22s |\n' "$(job_label "$j")" "$t" "$iops" "$mbs" "$p99" "$ratio"
  done
done
