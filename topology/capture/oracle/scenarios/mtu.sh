#!/usr/bin/env bash
# Scenario "mtu": a router whose link toward the server has MTU 1400; DF packets larger than that
# draw ICMP fragmentation-needed, others are fragmented.
#   client 10.0.1.2 ---- 10.0.1.1 [r1] 10.0.2.1 (mtu 1400) ---- 10.0.2.2 server (mtu 1400)
set -euo pipefail
P=$1; . "$(dirname "$0")/lib.sh"
ns client; ns r1; ns server
wire client eth0 10.0.1.2/24 r1 eth0 10.0.1.1/24
wire r1 eth1 10.0.2.1/24 server eth0 10.0.2.2/24
ip -n "${P}r1" link set eth1 mtu 1400
ip -n "${P}server" link set eth0 mtu 1400
ip -n "${P}client" route add default via 10.0.1.1
ip -n "${P}server" route add default via 10.0.2.1
forwarding r1
