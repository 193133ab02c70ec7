# shellcheck shell=bash
# The lab's wiring. Every link is created by one request with each end in its final namespace
# (`ip -n A link add X type veth peer name Y netns B`), so nothing is ever created in, moved
# through or addressed in the host's own namespace.
#
#   LAB-bridge:  br-near (198.18.0.0/24 segment), br-far (198.18.1.0/24 segment)
#   LAB-router:  eth0 198.18.0.1 on br-near, eth1 198.18.1.1 on br-far, forwarding on
#   LAB-etcd:    eth0 198.18.0.2 on br-near, default via the router
#   LAB-node-N:  eth0 198.18.0.(10+N) on br-near, or 198.18.1.(10+N) on br-far; default via the router
#   dual-stack:  the same hosts also get fd00:198:18::H/64 (near) or fd00:198:18:1::H/64 (far)

# ns_create NAME: records NAME for teardown first, then creates it with lo up.
ns_create() {
    echo "$1" >>"$STATE/namespaces"
    ip netns add "$1"
    ip -n "$1" link set lo up
}

ns_delete() {
    ip netns del "$1" 2>/dev/null || true
    [[ -f $STATE/namespaces ]] && sed -i "/^$1\$/d" "$STATE/namespaces"
    return 0
}

# attach NS IFNAME BRIDGE PORT ADDRESS/LEN [GATEWAY]: a veth from BRIDGE's namespace (as PORT)
# into NS (as IFNAME), addressed, and a default route via GATEWAY.
attach() {
    local ns=$1 ifname=$2 bridge=$3 port=$4 address=$5 gateway=${6:-}
    local bridge_ns
    bridge_ns=$(ns_bridge)
    ip -n "$bridge_ns" link add "$port" type veth peer name "$ifname" netns "$ns"
    ip -n "$bridge_ns" link set "$port" master "$bridge" up
    ip -n "$ns" addr add "$address" dev "$ifname"
    ip -n "$ns" link set "$ifname" up
    [[ -z $gateway ]] || ip -n "$ns" route add default via "$gateway"
}

# attach6 NS IFNAME ADDRESS/LEN [GATEWAY]: in a dual-stack lab, an IPv6 address on IFNAME (no
# duplicate address detection: the lab numbers every host) and a default route via GATEWAY.
attach6() {
    ((DUAL_STACK)) || return 0
    local ns=$1 ifname=$2 address=$3 gateway=${4:-}
    ip -n "$ns" -6 addr add "$address" dev "$ifname" nodad
    [[ -z $gateway ]] || ip -n "$ns" -6 route add default via "$gateway"
}

topology_up() {
    local bridge router etcd
    bridge=$(ns_bridge) router=$(ns_router) etcd=$(ns_etcd)
    ns_create "$bridge"
    for segment in br-near br-far; do
        ip -n "$bridge" link add "$segment" type bridge
        ip -n "$bridge" link set "$segment" up
    done
    ns_create "$router"
    attach "$router" eth0 br-near router "$ROUTER_NEAR/24"
    attach "$router" eth1 br-far router-far "$ROUTER_FAR/24"
    attach6 "$router" eth0 "$NEAR_NET6::1/64"
    attach6 "$router" eth1 "$FAR_NET6::1/64"
    in_ns "$router" sysctl -qw net.ipv4.ip_forward=1
    ((DUAL_STACK == 0)) || in_ns "$router" sysctl -qw net.ipv6.conf.all.forwarding=1
    ns_create "$etcd"
    attach "$etcd" eth0 br-near etcd "$ETCD_IP/24" "$ROUTER_NEAR"
    attach6 "$etcd" eth0 "$NEAR_NET6::2/64" "$NEAR_NET6::1"
}

# node_create NAME near|far: the node's namespace, its underlay link, directories and plugin config.
node_create() {
    local node=$1 segment=$2 index=${1#node-} dir ns address
    dir=$(node_dir "$node") ns=$(ns_node "$node")
    ((index >= 1 && index <= 200)) || die "node index $index is outside 1...200"
    mkdir -p "$dir/run" "$dir/data"
    ns_create "$ns"
    if [[ $segment == far ]]; then
        address=$FAR_NET.$((10 + index))
        attach "$ns" eth0 br-far "$node" "$address/24" "$ROUTER_FAR"
        attach6 "$ns" eth0 "$FAR_NET6::$((10 + index))/64" "$FAR_NET6::1"
    else
        address=$NEAR_NET.$((10 + index))
        attach "$ns" eth0 br-near "$node" "$address/24" "$ROUTER_NEAR"
        attach6 "$ns" eth0 "$NEAR_NET6::$((10 + index))/64" "$NEAR_NET6::1"
    fi
    echo "$address" >"$dir/address"
    if ((DUAL_STACK)); then
        [[ $segment == far ]] && echo "$FAR_NET6::$((10 + index))" >"$dir/address6" || echo "$NEAR_NET6::$((10 + index))" >"$dir/address6"
    fi
    echo "$segment" >"$dir/segment"
    jq -n --arg run "$dir/run" --arg data "$dir/data" --arg log "$dir/trellis.log" \
        '{cniVersion: "1.0.0", name: "trellis", type: "trellis", runDir: $run, dataDir: $data,
          logFile: $log, logLevel: "debug"}' >"$dir/cni.json"
}

# node_slice NODE: the node's (first) pod CIDR from the node.json its agent wrote (empty before).
node_slice() { node_slices "$1" | head -n 1; }

# node_slices NODE: every pod CIDR of the node (IPv4, then IPv6 in a dual-stack lab), one per line.
node_slices() {
    local file
    file=$(node_dir "$1")/run/node.json
    [[ -s $file ]] && jq -r '.podCIDRs[]' "$file"
    return 0
}

# has_route_to_peers NODE: NODE's kernel has a route to every slice of every other node.
has_route_to_peers() {
    local node=$1 peer slice ns count
    ns=$(ns_node "$node")
    for peer in $(nodes); do
        [[ $peer != "$node" ]] || continue
        count=0
        for slice in $(node_slices "$peer"); do
            # `ip route` lists IPv4 routes unless told the family.
            [[ -n $(ip -n "$ns" "$([[ $slice == *:* ]] && echo -6 || echo -4)" route show exact "$slice") ]] || return 1
            count=$((count + 1))
        done
        ((count == 1 + DUAL_STACK)) || return 1
    done
}

# lab_teardown: stops every process, deletes every namespace and the state. Safe to repeat.
lab_teardown() {
    local node ns pid
    for node in $(nodes); do agent_stop "$node" 2>/dev/null || true; done
    [[ -d $STATE/etcd ]] && { etcd_stop 2>/dev/null || true; }
    [[ -d $KUBE_DIR ]] && { kube_stop 2>/dev/null || true; }
    if [[ -f $STATE/namespaces ]]; then
        # Anything still running inside one of the lab's own namespaces was started by the lab.
        while read -r ns; do
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        done <"$STATE/namespaces"
        while read -r ns; do ip netns del "$ns" 2>/dev/null || true; done <"$STATE/namespaces"
    fi
    rm -rf "$STATE"
}
