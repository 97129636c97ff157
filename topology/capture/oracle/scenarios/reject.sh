#!/usr/bin/env bash
# Scenario "reject": a firewall router between a client and a server, with one REJECT flavour per
# destination port in FORWARD, a REJECT and a DROP in the client's own OUTPUT, and a tcp-reset for
# the firewall's own address in INPUT.
#   client 10.0.1.2/24 ---- 10.0.1.1 [fw] 10.0.2.1 ---- 10.0.2.2/24 server
set -euo pipefail
P=$1; . "$(dirname "$0")/lib.sh"
ns client; ns fw; ns server
wire client eth0 10.0.1.2/24 fw eth0 10.0.1.1/24
wire fw eth1 10.0.2.1/24 server eth0 10.0.2.2/24
ip -n "${P}client" route add default via 10.0.1.1
ip -n "${P}server" route add default via 10.0.2.1
forwarding fw
f() { ip netns exec "${P}fw" iptables "$@"; }
f -A FORWARD -p tcp --dport 81 -j REJECT --reject-with tcp-reset
f -A FORWARD -p tcp --dport 82 -j REJECT
f -A FORWARD -p udp --dport 82 -j REJECT
f -A FORWARD -p udp --dport 83 -j REJECT --reject-with icmp-host-prohibited
f -A FORWARD -p udp --dport 84 -j REJECT --reject-with icmp-admin-prohibited
f -A FORWARD -p udp --dport 85 -j REJECT --reject-with icmp-net-unreachable
f -A FORWARD -p udp --dport 86 -j REJECT --reject-with icmp-host-unreachable
f -A FORWARD -p udp --dport 87 -j REJECT --reject-with icmp-net-prohibited
f -A FORWARD -p udp --dport 88 -j REJECT --reject-with icmp-proto-unreachable
f -A FORWARD -p udp --dport 89 -j DROP
f -A FORWARD -p icmp --icmp-type echo-request -d 10.0.2.2 -j REJECT --reject-with icmp-host-prohibited
f -A INPUT -p tcp --dport 90 -j REJECT --reject-with tcp-reset
c() { ip netns exec "${P}client" iptables "$@"; }
c -A OUTPUT -p udp --dport 91 -j REJECT
c -A OUTPUT -p udp --dport 92 -j DROP
c -A OUTPUT -p tcp --dport 92 -j DROP
