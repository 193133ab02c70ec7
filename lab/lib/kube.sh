# shellcheck shell=bash
# The Kubernetes datastore of the lab (`lab/lab up --datastore kubernetes`): the project's test API
# server (Tests/ClusterTests/kube-api-server.py, through lib/kube-api.py) in the control namespace
# instead of etcd, over HTTPS with a throwaway CA made by openssl, one bearer token for every
# agent. There is no kube-controller-manager, so the lab creates each Node object itself (its slice
# in spec.podCIDRs, its underlay address as InternalIP) before the node's agent starts.

KUBE_PORT=6443
KUBE_URL=https://$ETCD_IP:$KUBE_PORT
KUBE_DIR=$STATE/kube
KUBE_SERVER=$LAB_DIR/lib/kube-api.py

# kube_pki: the CA, the server's certificate for KUBE_URL's address and the agents' token.
kube_pki() {
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    mkdir -p "$KUBE_DIR"
    openssl req -x509 "${ec[@]}" -keyout "$KUBE_DIR/ca.key" -out "$KUBE_DIR/ca.crt" -days 2 \
        -subj "/CN=trellis-lab-ca" 2>/dev/null
    openssl req "${ec[@]}" -keyout "$KUBE_DIR/server.key" -out "$KUBE_DIR/server.csr" \
        -subj "/CN=kube-apiserver" 2>/dev/null
    echo "subjectAltName=IP:$ETCD_IP" >"$KUBE_DIR/san.ext"
    openssl x509 -req -in "$KUBE_DIR/server.csr" -CA "$KUBE_DIR/ca.crt" -CAkey "$KUBE_DIR/ca.key" \
        -CAcreateserial -out "$KUBE_DIR/server.crt" -days 2 -extfile "$KUBE_DIR/san.ext" 2>/dev/null
    openssl rand -hex 16 >"$KUBE_DIR/token"
}

# kube_start: starts the API server (unless it runs) and waits until it answers.
kube_start() {
    is_running "$KUBE_DIR/pid" "$KUBE_SERVER" && return 0
    [[ -s $KUBE_DIR/token ]] || kube_pki
    start_process "$KUBE_DIR/pid" "$KUBE_DIR/kube-api.log" "$(ns_etcd)" env LAB_KUBE_BIND="$ETCD_IP" \
        /usr/bin/python3 "$KUBE_SERVER" --port "$KUBE_PORT" --tls-cert "$KUBE_DIR/server.crt" \
        --tls-key "$KUBE_DIR/server.key" --token="$(<"$KUBE_DIR/token")"
    wait_until 30 "the API server to answer (log: $KUBE_DIR/kube-api.log)" kube_control state
}

kube_stop() { stop_process "$KUBE_DIR/pid" "$KUBE_SERVER" "${1:-TERM}"; }

# kube_control OP [JSON]: POST /_control/OP (put-node, delete-node, get-node, state, ...).
kube_control() {
    in_ns "$(ns_etcd)" curl -sS --fail --max-time 5 --cacert "$KUBE_DIR/ca.crt" -X POST \
        -H 'Content-Type: application/json' -d "${2:-"{}"}" "$KUBE_URL/_control/$1"
}

# kube_get PATH: GET PATH from the API with the agents' token, as an agent sees it.
kube_get() {
    in_ns "$(ns_etcd)" curl -sS --fail --max-time 5 --cacert "$KUBE_DIR/ca.crt" \
        -H "Authorization: Bearer $(<"$KUBE_DIR/token")" "$KUBE_URL$1"
}

# kube_node_create NODE: the node's kubeconfig and its Node object (slice 10.244.INDEX.0/24).
kube_node_create() {
    local node=$1 dir
    dir=$(node_dir "$node")
    cat >"$dir/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: $KUBE_URL
    certificate-authority-data: $(base64 -w0 "$KUBE_DIR/ca.crt")
users:
- name: $node
  user:
    token: $(<"$KUBE_DIR/token")
contexts:
- name: lab
  context:
    cluster: lab
    user: $node
current-context: lab
KUBECONFIG
    # As kube-controller-manager with a dual --cluster-cidr: one slice per family, IPv4 first;
    # as kubelet with a dual --node-ip: one InternalIP per family.
    local -a slices=("${CLUSTER_CIDR%.0.0/16}.${node#node-}.0/$NODE_SUBNET_SIZE") addresses=("$(<"$dir/address")")
    if ((DUAL_STACK)); then
        slices+=("$(printf '%s%x::/%s' "${CLUSTER_CIDR6%::/56}:" "${node#node-}" "$NODE_SUBNET_SIZE6")")
        addresses+=("$(<"$dir/address6")")
    fi
    kube_control put-node "$(jq -n --arg name "$node" --args '$ARGS.positional as $all
        | {apiVersion: "v1", kind: "Node", metadata: {name: $name, labels: {"kubernetes.io/hostname": $name}},
           spec: {podCIDR: $all[0], podCIDRs: $all[:($all | length) / 2]},
           status: {addresses: ([$all[($all | length) / 2:][] | {type: "InternalIP", address: .}] + [{type: "Hostname", address: $name}])}}' \
        "${slices[@]}" "${addresses[@]}")" >/dev/null
}

kube_node_delete() { kube_control delete-node "$(jq -n --arg name "$1" '{name: $name}')" >/dev/null; }

# kube_pod_put NODE POD NAMESPACE LABELS: the namespace (labelled ns=NAMESPACE, if new) and the
# Pod object as the scheduler leaves it: bound to NODE, with containers' named ports
# serve-80-tcp, serve-80-udp, serve-81-tcp, serve-81-udp.
kube_pod_put() {
    local node=$1 pod=$2 namespace=$3 labels=$4
    [[ $(kube_control get "$(jq -n --arg name "$namespace" '{kind: "Namespace", name: $name}')") != null ]] ||
        kube_control put "$(jq -n --arg name "$namespace" \
            '{apiVersion: "v1", kind: "Namespace", metadata: {name: $name, labels: {ns: $name}}}')" >/dev/null
    kube_control put "$(jq -n --arg node "$node" --arg name "$pod" --arg ns "$namespace" --argjson labels "$labels" \
        '{apiVersion: "v1", kind: "Pod", metadata: {name: $name, namespace: $ns, labels: $labels},
          spec: {nodeName: $node, containers: [{name: "serve", image: "lab",
            ports: [[80, 81][] as $port | ["TCP", "UDP"][] as $proto
                    | {name: "serve-\($port)-\($proto | ascii_downcase)", containerPort: $port, protocol: $proto}]}]}}')" >/dev/null
}

# kube_pod_status POD NAMESPACE ADDRESS...: kubelet publishing the pod's addresses (Running).
kube_pod_status() {
    local pod=$1 namespace=$2
    shift 2
    kube_control put "$(kube_control get "$(jq -n --arg name "$pod" --arg ns "$namespace" '{kind: "Pod", namespace: $ns, name: $name}')" |
        jq --args '.status = {phase: "Running", podIP: $ARGS.positional[0], podIPs: [$ARGS.positional[] | {ip: .}]}' "$@")" >/dev/null
}

kube_pod_delete() {
    kube_control delete "$(jq -n --arg name "$1" --arg ns "$2" '{kind: "Pod", namespace: $ns, name: $name}')" >/dev/null
}
