#!/usr/bin/env bash
# Scenario "service": kube-proxy-style DNAT on a bridge node. Services:
#   10.96.0.10:80/tcp -> pod-a:8080 or pod-b:8080 (statistic random 0.5: nondeterministic)
#   10.96.0.11:80/tcp -> pod-a:8080 (its bridge port has hairpin on)
#   10.96.0.12:80/tcp -> pod-c:8080 (its bridge port has hairpin off)
#   10.96.0.13:53/udp -> pod-b:5353
# KUBE-MARK-MASQ for a pod reaching itself (hairpin), KUBE-POSTROUTING masquerades marked packets.
#   pod-a 10.244.1.2, pod-b 10.244.1.3, pod-c 10.244.1.4 -- cni0 10.244.1.1/24 [node]
set -euo pipefail
P=$1; . "$(dirname "$0")/lib.sh"
ns node
ip -n "${P}node" link add cni0 type bridge
ip -n "${P}node" addr add 10.244.1.1/24 dev cni0
ip -n "${P}node" link set cni0 up
i=0
for pod in pod-a pod-b pod-c; do
  i=$((i + 1)); ns "$pod"
  ip -n "${P}node" link add "veth$i" type veth peer name eth0 netns "$P$pod"
  ip -n "${P}node" link set "veth$i" master cni0 up
  ip -n "$P$pod" addr add "10.244.1.$((i + 1))/24" dev eth0
  ip -n "$P$pod" link set eth0 up
  ip -n "$P$pod" route add default via 10.244.1.1
done
ip -n "${P}node" link set veth1 type bridge_slave hairpin on
ip -n "${P}node" link set veth3 type bridge_slave hairpin off
forwarding node
ip netns exec "${P}node" iptables-restore <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-SVC-RANDOM - [0:0]
:KUBE-SVC-HAIRPIN - [0:0]
:KUBE-SVC-NOHAIRPIN - [0:0]
:KUBE-SVC-DNS - [0:0]
:KUBE-SEP-A - [0:0]
:KUBE-SEP-B - [0:0]
:KUBE-SEP-C - [0:0]
:KUBE-SEP-B-DNS - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -j MASQUERADE --random-fully
-A KUBE-SERVICES -d 10.96.0.10/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-RANDOM
-A KUBE-SERVICES -d 10.96.0.11/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-HAIRPIN
-A KUBE-SERVICES -d 10.96.0.12/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-NOHAIRPIN
-A KUBE-SERVICES -d 10.96.0.13/32 -p udp -m udp --dport 53 -j KUBE-SVC-DNS
-A KUBE-SVC-RANDOM -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-A
-A KUBE-SVC-RANDOM -j KUBE-SEP-B
-A KUBE-SVC-HAIRPIN -j KUBE-SEP-A
-A KUBE-SVC-NOHAIRPIN -j KUBE-SEP-C
-A KUBE-SVC-DNS -j KUBE-SEP-B-DNS
-A KUBE-SEP-A -s 10.244.1.2/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-A -p tcp -m tcp -j DNAT --to-destination 10.244.1.2:8080
-A KUBE-SEP-B -s 10.244.1.3/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-B -p tcp -m tcp -j DNAT --to-destination 10.244.1.3:8080
-A KUBE-SEP-C -s 10.244.1.4/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-C -p tcp -m tcp -j DNAT --to-destination 10.244.1.4:8080
-A KUBE-SEP-B-DNS -s 10.244.1.3/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-B-DNS -p udp -m udp -j DNAT --to-destination 10.244.1.3:5353
COMMIT
RULES
