#!/usr/bin/env bash
# Scenario "ipset": a firewall that forwards only sources in a hash:ip set, and only to
# destination address/port pairs of a hash:ip,port set; everything else is dropped or rejected.
#   client 10.0.1.2, 10.0.1.3 ---- 10.0.1.1 [fw] 10.0.2.1 ---- 10.0.2.2 server
set -euo pipefail
P=$1; . "$(dirname "$0")/lib.sh"
ns client; ns fw; ns server
wire client eth0 10.0.1.2/24 fw eth0 10.0.1.1/24
ip -n "${P}client" addr add 10.0.1.3/24 dev eth0
wire fw eth1 10.0.2.1/24 server eth0 10.0.2.2/24
ip -n "${P}client" route add default via 10.0.1.1
ip -n "${P}server" route add default via 10.0.2.1
forwarding fw
x() { ip netns exec "${P}fw" "$@"; }
x ipset create allowed-src hash:ip
x ipset add allowed-src 10.0.1.2
x ipset create allowed-dst hash:ip,port
x ipset add allowed-dst 10.0.2.2,tcp:80
x ipset add allowed-dst 10.0.2.2,udp:53
x ipset create denied-net hash:net
x ipset add denied-net 10.0.1.0/30
x iptables -P FORWARD DROP
x iptables -A FORWARD -m state --state ESTABLISHED,RELATED -j ACCEPT
x iptables -A FORWARD -m set --match-set allowed-src src -m set --match-set allowed-dst dst,dst -j ACCEPT
x iptables -A FORWARD -m set --match-set denied-net src -p udp -j REJECT --reject-with icmp-admin-prohibited
