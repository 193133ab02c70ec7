# shellcheck shell=bash
# Pods: plain network namespaces wired by the real `trellis` binary, run inside the node's
# namespace exactly as a container runtime runs it (CNI_* variables, the config on stdin).

# cni NODE COMMAND POD: runs the plugin for POD's attachment; prints its result.
cni() {
    local node=$1 command=$2 pod=$3 dir
    dir=$(node_dir "$node")
    require_binary trellis
    in_ns "$(ns_node "$node")" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin CNI_PATH=/usr/lib/cni \
        CNI_COMMAND="$command" CNI_CONTAINERID="$(container_id "$pod")" \
        CNI_NETNS="/var/run/netns/$(ns_pod "$pod")" CNI_IFNAME=eth0 \
        CNI_ARGS="K8S_POD_NAMESPACE=$(pod_namespace "$pod");K8S_POD_NAME=$pod" \
        "$BIN_DIR/trellis" <"$dir/cni.json"
}

# pod_namespace POD: the Kubernetes namespace the pod was made in (default: default).
pod_namespace() { cat "$STATE/pod-namespaces/$1" 2>/dev/null || echo default; }

# container_id POD: 64 hex digits, the same for the same lab and pod name.
container_id() { printf '%s/%s' "$LAB" "$1" | sha256sum | cut -c1-64; }

# pod_add NODE POD [NAMESPACE [LABELS [SERVE]]]: a pod namespace wired on NODE; prints the pod's
# addresses (IPv4, then IPv6 in a dual-stack lab), space-separated. LABELS is a JSON object; with
# SERVE=1 the pod answers on TCP and UDP 80 and 81 (lib/netpol.py). On the Kubernetes datastore
# the pod is made as the scheduler and kubelet make it: its Pod object (spec.nodeName, labels,
# named container ports) first, then ADD, then status.podIPs.
pod_add() {
    local node=$1 pod=$2 namespace=${3:-default} labels=${4:-"{}"} serve=${5:-0} result address
    require_node "$node"
    [[ $pod =~ ^[a-z0-9][a-z0-9-]{0,30}$ ]] || die "pod name $pod must be lowercase letters, digits and '-'"
    [[ $namespace =~ ^[a-z0-9][a-z0-9-]{0,62}$ ]] || die "namespace $namespace must be lowercase letters, digits and '-'"
    jq -e 'type == "object"' <<<"$labels" >/dev/null 2>&1 || die "labels must be a JSON object: $labels"
    [[ ! -e $(pod_file "$pod") ]] || die "pod $pod already exists"
    [[ -s $(node_dir "$node")/run/node.json ]] || die "$node has no node.json yet: is its agent up? (lab status)"
    mkdir -p "$STATE/pods" "$STATE/pod-namespaces"
    echo "$namespace" >"$STATE/pod-namespaces/$pod"
    [[ $DATASTORE != kubernetes ]] || kube_pod_put "$node" "$pod" "$namespace" "$labels"
    ns_create "$(ns_pod "$pod")"
    if ! result=$(cni "$node" ADD "$pod") || ! address=$(jq -er '[.ips[].address | sub("/.*"; "")] | join(" ")' <<<"$result" 2>/dev/null); then
        ns_delete "$(ns_pod "$pod")"
        [[ $DATASTORE != kubernetes ]] || kube_pod_delete "$pod" "$namespace"
        rm -f "$STATE/pod-namespaces/$pod"
        die "ADD of $pod on $node failed: $result (plugin log: $(node_dir "$node")/trellis.log)"
    fi
    printf '%s %s\n' "$node" "$address" >"$(pod_file "$pod")"
    # shellcheck disable=SC2086  # the addresses, one argument each
    [[ $DATASTORE != kubernetes ]] || kube_pod_status "$pod" "$namespace" $address
    if ((serve)); then
        start_process "$STATE/pod-namespaces/$pod.serve.pid" "$STATE/pod-namespaces/$pod.serve.log" "$(ns_pod "$pod")" \
            /usr/bin/python3 "$LAB_DIR/lib/netpol.py" serve
        wait_until 10 "$pod's servers" grep -q serving "$STATE/pod-namespaces/$pod.serve.log"
    fi
    echo "$address"
}

# pod_del POD: DEL through the plugin, then the namespace (and the Pod object) go.
pod_del() {
    local pod=$1 node pid
    require_pod "$pod"
    read -r node _ <"$(pod_file "$pod")"
    [[ ! -d $(node_dir "$node") ]] || cni "$node" DEL "$pod" >/dev/null || die "DEL of $pod on $node failed"
    for pid in $(ip netns pids "$(ns_pod "$pod")" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    ns_delete "$(ns_pod "$pod")"
    [[ $DATASTORE != kubernetes ]] || kube_pod_delete "$pod" "$(pod_namespace "$pod")"
    rm -f "$(pod_file "$pod")" "$STATE/pod-namespaces/$pod"*
}

# probe FROM TO PROTO/PORT...: whether pod FROM reaches pod TO on each PROTO/PORT (tcp/80, udp/81),
# at each of TO's addresses, all probed at once; prints "FROM TO PROTO/PORT ADDRESS 1|0" lines.
# TO "all": every other pod. PROBE_SOURCE_PORT fixes the source port (a UDP flow probed twice is
# one conntrack entry).
probe() {
    local from=$1 to=$2 target address spec
    shift 2
    local -a targets=() args=()
    if [[ $to == all ]]; then mapfile -t targets < <(pods | grep -vx "$from"); else require_pod "$to"; targets=("$to"); fi
    for target in "${targets[@]}"; do
        for spec in "$@"; do
            for address in $(pod_addresses "$target"); do args+=("$from,$target,$spec,$address=$address/$spec"); done
        done
    done
    ((${#args[@]})) || return 0
    in_ns "$(ns_pod "$from")" /usr/bin/python3 "$LAB_DIR/lib/netpol.py" probe "${args[@]}" | tr ',' ' '
}

# matrix PROTO/PORT...: probe from every pod to every other pod, all sources at once.
matrix() {
    local pod
    local -a all
    mapfile -t all < <(pods)
    for pod in "${all[@]}"; do probe "$pod" all "$@" >"$STATE/matrix.$pod" & done
    wait
    for pod in "${all[@]}"; do cat "$STATE/matrix.$pod"; rm -f "$STATE/matrix.$pod"; done
}

pod_node() { local node; read -r node _ <"$(pod_file "$1")"; echo "$node"; }
# pod_address POD: its first address (IPv4); pod_addresses POD: all of them, space-separated.
pod_address() { local address; read -r _ address _ <"$(pod_file "$1")"; echo "$address"; }
pod_addresses() { local addresses; read -r _ addresses <"$(pod_file "$1")"; echo "$addresses"; }

# pod_ping_all POD TARGET: POD reaches every address of pod TARGET (both families when dual-stack).
pod_ping_all() {
    local address
    for address in $(pod_addresses "$2"); do pod_ping "$1" "$address" || return 1; done
}

# pod_ping POD ADDRESS: one echo, retried once, answered within 2 s.
pod_ping() {
    local ns
    ns=$(ns_pod "$1")
    in_ns "$ns" ping -q -n -c 1 -W 2 "$2" >/dev/null 2>&1 || in_ns "$ns" ping -q -n -c 1 -W 2 "$2" >/dev/null 2>&1
}

# mesh: every pod pings every other pod, at each of its addresses (one row's pings at a time, in
# parallel); prints the grid and fails when any pair fails.
mesh() {
    local -a all
    mapfile -t all < <(pods)
    ((${#all[@]} >= 2)) || die "the mesh needs at least two pods (lab pod NODE NAME)"
    local width=4 pod target mark failures=0 index
    for pod in "${all[@]}"; do ((${#pod} + 1 > width)) && width=$((${#pod} + 1)); done
    printf '%-*s' "$((width + 16))" "from \\ to"
    for target in "${all[@]}"; do printf '%-*s' "$width" "$target"; done
    echo
    for pod in "${all[@]}"; do
        local -a jobs=()
        for target in "${all[@]}"; do
            if [[ $pod == "$target" ]]; then jobs+=(self); else pod_ping_all "$pod" "$target" & jobs+=($!); fi
        done
        printf '%-*s%-16s' "$width" "$pod" "$(pod_address "$pod")"
        for index in "${!all[@]}"; do
            if [[ ${jobs[index]} == self ]]; then mark="·"
            elif wait "${jobs[index]}"; then mark="✓"
            else mark="✗" failures=$((failures + 1)); fi
            # The marks are one column wide but three bytes: pad by hand.
            printf '%s%*s' "$mark" "$((width - 1))" ""
        done
        echo
    done
    local pairs=$((${#all[@]} * (${#all[@]} - 1)))
    if ((failures > 0)); then
        echo "$failures of $pairs pod pairs cannot reach each other"
        return 1
    fi
    echo "all $pairs pod pairs reach each other"
}
