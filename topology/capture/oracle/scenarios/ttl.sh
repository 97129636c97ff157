#!/usr/bin/env bash
# Scenario "ttl": two routers in a row; TTL expiry at the first or the second.
#   client 10.0.1.2 ---- 10.0.1.1 [r1] 10.0.2.1 ---- 10.0.2.2 [r2] 10.0.3.1 ---- 10.0.3.2 server
set -euo pipefail
P=$1; . "$(dirname "$0")/lib.sh"
ns client; ns r1; ns r2; ns server
wire client eth0 10.0.1.2/24 r1 eth0 10.0.1.1/24
wire r1 eth1 10.0.2.1/24 r2 eth0 10.0.2.2/24
wire r2 eth1 10.0.3.1/24 server eth0 10.0.3.2/24
ip -n "${P}client" route add default via 10.0.1.1
ip -n "${P}r1" route add 10.0.3.0/24 via 10.0.2.2
ip -n "${P}r2" route add 10.0.1.0/24 via 10.0.2.1
ip -n "${P}server" route add default via 10.0.3.1
forwarding r1; forwarding r2
