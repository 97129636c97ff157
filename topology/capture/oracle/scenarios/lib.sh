# Helpers shared by the scenario builders. P (the namespace prefix) must be set.
ns() { ip netns add "$P$1"; ip -n "$P$1" link set lo up; }
# wire A IFA ADDRA B IFB ADDRB: a veth pair between namespaces A and B, addressed and up.
wire() {
  ip -n "$P$1" link add "$2" type veth peer name "$5" netns "$P$4"
  ip -n "$P$1" addr add "$3" dev "$2"; ip -n "$P$1" link set "$2" up
  ip -n "$P$4" addr add "$6" dev "$5"; ip -n "$P$4" link set "$5" up
}
forwarding() { ip netns exec "$P$1" sysctl -qw net.ipv4.ip_forward=1; }
