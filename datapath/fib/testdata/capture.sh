#!/bin/sh
# Rebuilds the namespace whose `ip -j route show table all` and `ip -j rule show` are recorded here.
# Run as root: sh capture.sh OUTDIR. Uses iproute2 on the host kernel; deletes its namespace at exit.
set -eu
OUT=${1:-.}
N=kpt-fibcap-$$
trap 'ip netns del $N 2>/dev/null || true' EXIT
ip netns add $N
ipn() { ip -n $N "$@"; }
ipn link set lo up
ipn link add v0 type veth peer name v1
ipn link add v2 type veth peer name v3
for d in v0 v1 v2 v3; do ipn link set $d up; done
ipn addr add 10.1.2.3/24 dev v0
ipn addr add 10.1.2.4/24 dev v0
ipn addr add 10.1.2.9/24 brd + dev v0
ipn addr add 10.5.0.1/32 dev v0
ipn addr add 10.6.0.1/31 dev v0
ipn addr add 192.168.5.1/24 dev v2
ipn route add 10.20.0.0/16 via 10.1.2.1 dev v0
ipn route add blackhole 10.9.8.0/24
ipn route add unreachable 10.9.9.0/24
ipn route add prohibit 10.9.7.0/24
ipn route add throw 10.9.6.0/24
ipn route add 10.40.0.0/16 table 100 nexthop via 10.1.2.1 dev v0 weight 1 nexthop via 192.168.5.2 dev v2 weight 3
ipn route append 10.40.0.0/16 table 100 via 10.1.2.2 metric 5
ipn route add 10.41.0.0/16 via 172.16.0.1 dev v0 onlink table 101 metric 50 proto static
ipn route add 10.42.0.0/16 dev v2 table 1000 mtu 1400 advmss 1360 src 192.168.5.1 scope link proto 99
ipn route add 10.43.0.0/24 tos 0x10 dev v0 table 102
ipn route add default via 192.168.5.254 table 102 proto dhcp metric 100
ipn route add 10.44.0.0/16 dev v2 proto bird table 102
ipn route add 10.45.0.0/16 via 192.168.5.3 proto boot table 102
ipn route add 10.49.0.0/16 dev v2 table 102 scope host
ipn route add multicast 224.1.0.0/16 dev v2 table 102
ipn route add anycast 10.47.0.1 dev v2 table local
ipn route add 10.52.0.0/16 dev v0 metric 10
ipn route add 10.52.0.0/16 dev v2 metric 5
ipn route add 10.52.0.0/24 dev v2 proto 42
ipn rule add from 10.30.0.0/16 blackhole pref 100
ipn rule add to 10.31.0.0/16 unreachable pref 101
ipn rule add to 10.32.0.0/16 prohibit pref 102
ipn rule add fwmark 0x10/0xff lookup 100 pref 200
ipn rule add not from 10.1.2.0/24 iif v2 lookup 101 pref 201
ipn rule add pref 202 goto 300
ipn rule add pref 250 lookup 102
ipn rule add pref 300 lookup main suppress_prefixlength 0
ipn rule add pref 301 ipproto tcp dport 80-90 sport 1000 lookup 103
ipn rule add pref 302 tos 0x10 oif v0 lookup 104
ipn rule add pref 303 nop
ipn rule add pref 304 from 1.2.3.4 table 105 suppress_ifgroup 5
ipn rule add pref 305 uidrange 100-200 lookup 106
ipn rule add pref 306 fwmark 7 lookup 1000
ipn -j route show table all > "$OUT/route.json"
ipn -j rule show > "$OUT/rule.json"
ipn route show table all > "$OUT/route.txt"
ipn rule show > "$OUT/rule.txt"
