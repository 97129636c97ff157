#!/usr/bin/env bash
# Rebuild oracle scenarios on this host, capture them and record the real fate of every probe.
#   regenerate.sh OUTROOT [SCENARIO...]     (default: every scenarios/*.sh but lib.sh)
# Writes OUTROOT/<scenario>/ (the capture plus probes.json). Needs root, iproute2, iptables, ipset,
# conntrack, tcpdump and python3. The committed fixtures come from `regenerate.sh fixtures/captures`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: regenerate.sh OUTROOT [SCENARIO...]" >&2; exit 2; }
out=$1; shift
[ "$(id -u)" = 0 ] || { echo "regenerate.sh: must run as root" >&2; exit 2; }
for t in ip iptables ipset conntrack tcpdump python3; do
  command -v "$t" >/dev/null || { echo "regenerate.sh: $t not found" >&2; exit 2; }
done
if [ $# -eq 0 ]; then
  set -- $(cd "$here/scenarios" && ls *.sh | sed 's/\.sh$//' | grep -vx lib)
fi
mkdir -p "$out"
pids=()
for s in "$@"; do
  rm -rf -- "${out:?}/$s"
  python3 "$here/probe.py" run "$s" "$out/$s" & pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
