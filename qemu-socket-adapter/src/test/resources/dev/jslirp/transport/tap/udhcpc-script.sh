#!/bin/sh
# udhcpc event script for the tap tests: configures the interface with ip(8) as a
# distribution's default.script would, and records the lease in $JSLIRP_LEASE_FILE
# instead of touching the host's /etc/resolv.conf (ip netns exec shares the host's
# file system).
case "$1" in
  deconfig)
    ip link set dev "$interface" up
    ip -4 addr flush dev "$interface"
    ;;
  bound|renew)
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    if [ -n "$router" ]; then
      for r in $router; do
        ip route replace default via "$r" dev "$interface"
        break
      done
    fi
    {
      echo "ip=$ip"
      echo "mask=$mask"
      echo "router=$router"
      echo "dns=$dns"
      echo "lease=$lease"
    } > "$JSLIRP_LEASE_FILE"
    ;;
esac
exit 0
