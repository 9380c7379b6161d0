# Sourced by the test scripts that start servers: a loopback port for a new server.
#
# The port is chosen below the kernel's ephemeral range (ip_local_port_range, 32768 and up by default). Every outgoing
# connection takes its local port from that range, so a port chosen inside it can be taken by any client between the
# check here and the server's bind; one CI run lost a test that way. Below the range only another listener can take it.
# The caller defines log().

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local low=10000 high=32767 ephemeral port
  if read -r ephemeral _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null && [ "$ephemeral" -gt $((low + 1000)) ]; then
    high=$((ephemeral - 1))
  fi
  for _ in $(seq 1 50); do
    port=$(( low + RANDOM % (high - low + 1) ))
    if ! port_in_use "$port"; then echo "$port"; return 0; fi
  done
  log "no free port found"; return 1
}
