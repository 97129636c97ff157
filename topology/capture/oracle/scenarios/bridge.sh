#!/usr/bin/env bash
# Scenario "bridge": a node namespace with a Linux bridge (cni0, the pods' gateway, as the CNI bridge
# plugin with isGateway sets it up), two pods on it, an uplink to an external host, and MASQUERADE
# for pod traffic leaving the pod network (ipMasq). br_netfilter is on (the default per namespace).
#   pod-a 10.244.1.2 --\
#                       cni0 10.244.1.1/24 [node] eth0 192.168.1.10/24 ---- ext 192.168.1.100/24
#   pod-b 10.244.1.3 --/
set -euo pipefail
P=$1
for n in node pod-a pod-b ext; do ip netns add "$P$n"; ip -n "$P$n" link set lo up; done
ip -n "${P}node" link add cni0 type bridge
ip -n "${P}node" addr add 10.244.1.1/24 dev cni0
ip -n "${P}node" link set cni0 up
i=0
for pod in pod-a pod-b; do
  i=$((i + 1))
  ip -n "${P}node" link add "veth$i" type veth peer name eth0 netns "$P$pod"
  ip -n "${P}node" link set "veth$i" master cni0 up
  ip -n "$P$pod" addr add "10.244.1.$((i + 1))/24" dev eth0
  ip -n "$P$pod" link set eth0 up
  ip -n "$P$pod" route add default via 10.244.1.1
done
ip -n "${P}node" link set veth1 type bridge_slave hairpin on
ip -n "${P}node" link add eth0 type veth peer name eth0 netns "${P}ext"
ip -n "${P}node" addr add 192.168.1.10/24 dev eth0
ip -n "${P}node" link set eth0 up
ip -n "${P}node" route add default via 192.168.1.100
ip -n "${P}ext" addr add 192.168.1.100/24 dev eth0
ip -n "${P}ext" link set eth0 up
ip netns exec "${P}node" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "${P}node" iptables -t nat -A POSTROUTING -s 10.244.1.0/24 ! -d 10.244.1.0/24 -j MASQUERADE
