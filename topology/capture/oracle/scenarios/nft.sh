#!/usr/bin/env bash
# Scenario "nft": a router whose only rules are a native nftables table (no iptables), as kube-proxy's
# nftables mode writes one: a service address DNATed to a server port, a dropped port and a rejected
# one in forward.
#   client 10.0.1.2/24 ---- 10.0.1.1 [router] 10.0.2.1 ---- 10.0.2.2/24 server
set -euo pipefail
P=$1; . "$(dirname "$0")/lib.sh"
ns client; ns router; ns server
wire client eth0 10.0.1.2/24 router eth0 10.0.1.1/24
wire router eth1 10.0.2.1/24 server eth0 10.0.2.2/24
ip -n "${P}client" route add default via 10.0.1.1
ip -n "${P}server" route add default via 10.0.2.1
forwarding router
ip netns exec "${P}router" nft -f - <<'NFT'
add table ip kpath
add chain ip kpath nat-prerouting { type nat hook prerouting priority dstnat; policy accept; }
add chain ip kpath filter-forward { type filter hook forward priority filter; policy accept; }
add chain ip kpath services
add rule ip kpath nat-prerouting jump services
add rule ip kpath services ip daddr 10.96.0.1 tcp dport 80 dnat to 10.0.2.2:8080
add rule ip kpath filter-forward tcp dport 81 drop
add rule ip kpath filter-forward udp dport 82 reject
NFT
