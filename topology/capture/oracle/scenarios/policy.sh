#!/usr/bin/env bash
# Scenario "policy": policy routing. host has two uplinks; main's default goes via gw1, table 100's
# via gw2; packets with fwmark 0x1 or from 10.9.9.9 (an address on lo) use table 100. Both gateways
# hold 8.8.8.8 on lo, so the path taken shows in which one receives it. blackhole, unreachable and
# prohibit routes, and a prohibit rule, refuse sends; noroute has no default route at all.
#   gw1 10.1.0.1/24 ---- eth0 10.1.0.2 [host] eth1 10.2.0.2 ---- 10.2.0.1/24 gw2
#   noroute 10.3.0.2/24 ---- 10.3.0.1 [host]
set -euo pipefail
P=$1; . "$(dirname "$0")/lib.sh"
ns host; ns gw1; ns gw2; ns noroute
wire host eth0 10.1.0.2/24 gw1 eth0 10.1.0.1/24
wire host eth1 10.2.0.2/24 gw2 eth0 10.2.0.1/24
wire host eth2 10.3.0.1/24 noroute eth0 10.3.0.2/24
for g in gw1 gw2; do ip -n "$P$g" addr add 8.8.8.8/32 dev lo; done
ip -n "${P}gw1" route add default via 10.1.0.2
ip -n "${P}gw2" route add default via 10.2.0.2
ip -n "${P}host" addr add 10.9.9.9/32 dev lo
ip -n "${P}host" route add default via 10.1.0.1
ip -n "${P}host" route add default via 10.2.0.1 table 100
ip -n "${P}host" rule add fwmark 0x1 lookup 100 priority 100
ip -n "${P}host" rule add from 10.9.9.9 lookup 100 priority 110
ip -n "${P}host" rule add to 100.64.0.0/10 prohibit priority 120
ip -n "${P}host" rule add fwmark 0x2 lookup 200 priority 130
ip -n "${P}host" route add blackhole 203.0.113.0/24
ip -n "${P}host" route add unreachable 198.51.100.0/24
ip -n "${P}host" route add prohibit 192.0.2.0/24
ip -n "${P}host" route add unreachable 8.8.4.4/32 table 200
forwarding host
