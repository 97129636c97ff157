#!/usr/bin/env bash
# kpath capture: record the datapath state of a Linux host's network namespaces, as the standard tools
# print it, so kpath can rebuild and trace it offline. The layout is spec/capture.md's.
#
#   kpath-capture.sh [--root] [--root-name NAME] OUTDIR [NETNS...]
#
# Which namespaces:
#   - no NETNS given: every namespace `ip netns list` shows, plus the initial namespace (as "root");
#   - NETNS given:    exactly those; add the initial namespace with --root.
# Everything is written into a temporary directory beside OUTDIR and renamed at the end, so OUTDIR
# either holds a complete capture or does not exist. OUTDIR must not exist, or be an empty directory.
#
# Exit codes: 0 captured; 1 a capture command failed (nothing written); 2 usage error.
# Needs root (ip netns exec, iptables-save). Only bash, coreutils and iproute2 are required; the
# other tools are used when present, and their file is absent otherwise.
set -euo pipefail

prog=kpath-capture
usage() {
  cat >&2 <<'EOF'
usage: kpath capture [--root] [--root-name NAME] OUTDIR [NETNS...]

Capture the datapath state (iptables, ipsets, links, addresses, routes, rules, neighbours,
FDB, sysctls; nft/ipvsadm/conntrack/ss sockets when installed) of network namespaces into OUTDIR.

  --root            also capture the initial namespace when NETNS names are given
                    (it is always captured when no NETNS is given)
  --root-name NAME  the initial namespace's name in the capture (default: root)
  -h, --help        this help

examples:
  kpath capture /tmp/node1                 # every named namespace plus the initial one
  kpath capture /tmp/pods pod-a pod-b      # two namespaces only
  kpath capture --root /tmp/n node-1       # node-1 and the initial namespace
EOF
}

die() { echo "$prog: $2" >&2; exit "$1"; }
warn() { echo "$prog: warning: $*" >&2; }

want_root=0
root_name=root
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --root) want_root=1; shift ;;
    --root-name)
      [ $# -ge 2 ] || die 2 "--root-name needs a value"
      root_name=$2; shift 2 ;;
    --) shift; args+=("$@"); break ;;
    -*) usage; die 2 "unknown option: $1" ;;
    *) args+=("$1"); shift ;;
  esac
done
[ ${#args[@]} -ge 1 ] || { usage; die 2 "missing OUTDIR"; }
outdir=${args[0]}
names=("${args[@]:1}")

[ "$(id -u)" = 0 ] || die 2 "must run as root (ip netns exec, iptables-save)"
command -v ip >/dev/null || die 2 "ip (iproute2) not found"

if [ -e "$outdir" ]; then
  [ -d "$outdir" ] || die 2 "$outdir exists and is not a directory"
  [ -z "$(ls -A "$outdir")" ] || die 2 "$outdir exists and is not empty"
fi

# Namespaces to capture, as `ip netns list` names them ("name (id: N)" -> "name").
all_ns=$(ip netns list 2>/dev/null | awk '{print $1}')
if [ ${#names[@]} -eq 0 ]; then
  want_root=1
  mapfile -t names < <(printf '%s\n' "$all_ns" | sed '/^$/d')
else
  for n in "${names[@]}"; do
    printf '%s\n' "$all_ns" | grep -qxF -- "$n" || die 2 "no such network namespace: $n"
  done
fi
case "$root_name" in ''|*/*|.|..) die 2 "bad --root-name: $root_name" ;; esac
if [ $want_root = 1 ]; then
  for n in "${names[@]}"; do
    [ "$n" != "$root_name" ] || die 2 "namespace '$n' clashes with the initial namespace's name; use --root-name"
  done
  names=("$root_name" "${names[@]}")
fi
[ ${#names[@]} -ge 1 ] || die 2 "no namespaces to capture"

parent=$(dirname -- "$outdir")
[ -d "$parent" ] || die 2 "parent directory $parent does not exist"
tmp=$(mktemp -d "$parent/.kpath-capture.XXXXXX") || die 1 "cannot create a temporary directory in $parent"

# Peers in the initial namespace show in other namespaces' `ip netns list-id` without a name; a
# temporary name (ip netns attach, a bind mount of our own /proc/PID/ns/net) lets ip print one,
# which the manifest then writes as the initial namespace's name.
root_alias=
cleanup() {
  local rc=$?
  [ -z "$root_alias" ] || ip netns delete "$root_alias" 2>/dev/null || true
  rm -rf -- "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ $want_root = 1 ]; then
  root_alias="kpath-capture-root-$$"
  ip netns attach "$root_alias" $$ 2>/dev/null || { warn "cannot name the initial namespace for list-id"; root_alias=; }
fi

in_ns() { # in_ns NS CMD... : run CMD inside namespace NS
  local ns=$1; shift
  if [ $want_root = 1 ] && [ "$ns" = "$root_name" ]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# required FILE NS CMD...: the tool must work when it is installed.
required() {
  local file=$1 ns=$2; shift 2
  if ! command -v "$1" >/dev/null; then warn "$1 not found: $ns/$file not captured"; return 0; fi
  local err
  if ! err=$(in_ns "$ns" "$@" 2>&1 >"$tmp/$ns/$file"); then
    rm -f -- "$tmp/$ns/$file"
    die 1 "$ns: '$*' failed: ${err:-no message}"
  fi
}
# optional FILE NS CMD...: absent tool or failure (module not loaded) leaves the file out.
optional() {
  local file=$1 ns=$2; shift 2
  command -v "$1" >/dev/null || return 0
  if ! in_ns "$ns" "$@" >"$tmp/$ns/$file" 2>/dev/null; then
    rm -f -- "$tmp/$ns/$file"
    warn "$ns: '$*' failed: $file not captured"
  fi
}

# sysctl.txt: the keys kpath models, as `sysctl` prints them. A dot inside an interface name is
# written as a slash (net.ipv4.conf.flannel/1.rp_filter), as sysctl(8) does.
conf_keys="forwarding rp_filter route_localnet proxy_arp proxy_arp_pvlan accept_local src_valid_mark
  arp_ignore arp_announce arp_filter send_redirects accept_redirects secure_redirects log_martians
  bc_forwarding disable_policy disable_xfrm"
global_keys="net/ipv4/ip_forward net/ipv4/ip_default_ttl net/ipv4/ip_no_pmtu_disc
  net/ipv4/ip_local_port_range net/ipv4/ip_local_reserved_ports net/ipv4/ip_nonlocal_bind
  net/ipv4/ip_forward_use_pmtu net/ipv4/fwmark_reflect net/ipv4/tcp_fwmark_accept
  net/ipv4/icmp_echo_ignore_all net/ipv4/icmp_echo_ignore_broadcasts net/ipv4/icmp_ratelimit
  net/ipv4/icmp_ratemask net/ipv4/ping_group_range net/ipv4/route/min_pmtu
  net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables
  net/bridge/bridge-nf-call-arptables net/bridge/bridge-nf-filter-vlan-tagged
  net/netfilter/nf_conntrack_max net/netfilter/nf_conntrack_tcp_loose
  net/netfilter/nf_conntrack_tcp_be_liberal net/netfilter/nf_conntrack_udp_timeout
  net/netfilter/nf_conntrack_udp_timeout_stream net/netfilter/nf_conntrack_tcp_timeout_established
  net/ipv4/vs/conntrack net/ipv4/vs/expire_nodest_conn net/ipv4/vs/expire_quiescent_template
  net/ipv4/vs/conn_reuse_mode"
sysctl_dump() {
  local k f d ifname v
  for k in $global_keys; do
    f=/proc/sys/$k
    [ -r "$f" ] || continue
    v=$(cat "$f" 2>/dev/null) || continue
    printf '%s = %s\n' "${k//\//.}" "$v"
  done
  for d in /proc/sys/net/ipv4/conf/*/; do
    ifname=$(basename "$d")
    for k in $conf_keys; do
      f=$d$k
      [ -r "$f" ] || continue
      v=$(cat "$f" 2>/dev/null) || continue
      printf 'net.ipv4.conf.%s.%s = %s\n' "${ifname//./\/}" "$k" "$v"
    done
  done
}

json_str() { # a JSON string literal
  local s=${1//\\/\\\\}; s=${s//\"/\\\"}; printf '"%s"' "$s"
}

ns_entries=()
for ns in "${names[@]}"; do
  mkdir -p -- "$tmp/$ns"
  required iptables-save.txt "$ns" iptables-save
  required ipset-save.txt "$ns" ipset save
  required link.json "$ns" ip -j -d link show
  required addr.json "$ns" ip -j addr show
  required route.json "$ns" ip -j route show table all
  required rule.json "$ns" ip -j rule show
  required neigh.json "$ns" ip -j neigh show
  required fdb.json "$ns" bridge -j fdb show
  in_ns "$ns" bash -c "$(declare -f sysctl_dump); global_keys='$global_keys'; conf_keys='$conf_keys'; sysctl_dump" \
    >"$tmp/$ns/sysctl.txt" || die 1 "$ns: reading sysctls failed"
  optional nft.txt "$ns" nft list ruleset
  optional ipvsadm.txt "$ns" ipvsadm -Sn
  optional conntrack.txt "$ns" conntrack -L
  # Listening TCP and bound UDP sockets: a SYN to a port without one is answered with a reset.
  optional sockets.txt "$ns" ss -Hltun

  if in_ns "$ns" test -d /proc/sys/net/bridge; then brnf=true; else brnf=false; fi
  list_id=$(in_ns "$ns" ip -j netns list-id 2>/dev/null) || list_id='[]'
  [ -n "$list_id" ] || list_id='[]'
  if [ -n "$root_alias" ]; then list_id=${list_id//\"$root_alias\"/$(json_str "$root_name")}; fi
  files=$(cd "$tmp/$ns" && ls | sort | while read -r f; do json_str "$f"; printf ','; done)
  ns_entries+=("{\"netns\": $(json_str "$ns"), \"br_netfilter\": $brnf, \"list_id\": $list_id, \"files\": [${files%,}]}")
done

all_files=$(cd "$tmp" && find . -mindepth 2 -maxdepth 2 -type f -printf '%f\n' | sort -u |
  while read -r f; do json_str "$f"; printf ', '; done)
{
  printf '{\n  "format": 1,\n  "kernel": %s,\n  "files": [%s],\n  "namespaces": [\n' \
    "$(json_str "$(uname -r)")" "${all_files%, }"
  for i in "${!ns_entries[@]}"; do
    sep=,; [ "$i" -eq $((${#ns_entries[@]} - 1)) ] && sep=
    printf '    %s%s\n' "${ns_entries[$i]}" "$sep"
  done
  printf '  ]\n}\n'
} >"$tmp/manifest.json"

[ ! -d "$outdir" ] || rmdir -- "$outdir"
mv -T -- "$tmp" "$outdir" || die 1 "cannot move the capture to $outdir"
chmod 755 "$outdir"
tmp=/nonexistent-kpath-capture # nothing left to clean
echo "$prog: captured ${#names[@]} namespace(s) into $outdir" >&2
