# shellcheck shell=bash
# The lab's names, addresses and small helpers, sourced by lab/lab.
#
# Every lab is named by LAB (default trl-lab): its network namespaces are LAB-bridge, LAB-etcd,
# LAB-router, LAB-node-N and LAB-pod-NAME, and its state (pids, logs, etcd's data, each node's
# run and data directories) lives in LAB_STATE_DIR (default /tmp/trellis-lab/LAB). Two labs with
# different names never share anything, so tests can run labs side by side.

LAB=${LAB:-trl-lab}
[[ $LAB =~ ^[a-z][a-z0-9-]{0,23}$ ]] || { echo "lab: LAB=$LAB must be lowercase letters, digits and '-' (at most 24)" >&2; exit 2; }
REPO_DIR=$(cd "$LAB_DIR/.." && pwd)
STATE=${LAB_STATE_DIR:-/tmp/trellis-lab/$LAB}
BIN_DIR=$(cd "${TRELLIS_BIN_DIR:-$REPO_DIR/.build/release}" 2>/dev/null && pwd) || BIN_DIR=${TRELLIS_BIN_DIR:-$REPO_DIR/.build/release}

# The underlay: nodes on NEAR_NET share the bridge with etcd and the router; nodes on FAR_NET sit
# on a second bridge that only the router joins, so they are one routed hop away.
NEAR_NET=198.18.0
FAR_NET=198.18.1
ROUTER_NEAR=$NEAR_NET.1
ROUTER_FAR=$FAR_NET.1
ETCD_IP=$NEAR_NET.2
ETCD_URL=http://$ETCD_IP:2379
# With `up --etcd-tls` the client URL on the bridge is https and etcd asks for client certificates
# (a CA and pairs the lab makes with openssl in $STATE/pki); its loopback URL, for etcdctl, stays http.
ETCD_TLS=0
CLUSTER_CIDR=10.244.0.0/16
NODE_SUBNET_SIZE=24
# With `up --dual-stack` the underlay also carries IPv6 (ULA, only inside the lab's namespaces:
# fd00:198:18::/64 and fd00:198:18:1::/64, hosts numbered as in IPv4), the cluster CIDR is dual and
# every node leases an IPv6 /64 too.
DUAL_STACK=0
NEAR_NET6=fd00:198:18
FAR_NET6=fd00:198:18:1
CLUSTER_CIDR6=fd00:10:244::/56
NODE_SUBNET_SIZE6=64
METRICS_PORT=9469

log() { echo "lab[$LAB]: $*" >&2; }
die() { log "$*"; exit 1; }

ns_bridge() { echo "$LAB-bridge"; }
ns_etcd() { echo "$LAB-etcd"; }
ns_router() { echo "$LAB-router"; }
ns_node() { echo "$LAB-$1"; }
ns_pod() { echo "$LAB-pod-$1"; }

node_dir() { echo "$STATE/nodes/$1"; }
pod_file() { echo "$STATE/pods/$1"; }

# in_ns NS CMD...: runs CMD inside network namespace NS (with /sys remounted for it).
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

# wait_until SECONDS WHAT CMD...: polls CMD every 0.1 s until it succeeds; fails naming WHAT.
wait_until() {
    local seconds=$1 what=$2; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || { log "timed out after ${seconds}s waiting for $what"; return 1; }
        sleep 0.1
    done
}

# The lab's settings (mode, resync interval, node counter, datastore), kept in the state dir.
load_settings() {
    DATASTORE=etcd
    [[ -f $STATE/lab.env ]] || die "no lab named $LAB is up (state dir $STATE); run: LAB=$LAB lab/lab up"
    # shellcheck source=/dev/null
    source "$STATE/lab.env"
    ((ETCD_TLS == 0)) || ETCD_URL=https://$ETCD_IP:2379
}

save_settings() {
    printf 'MODE=%q\nRESYNC=%q\nNEXT_NODE=%q\nDATASTORE=%q\nETCD_TLS=%q\nDUAL_STACK=%q\n' "$MODE" "$RESYNC" "$NEXT_NODE" \
        "$DATASTORE" "$ETCD_TLS" "$DUAL_STACK" >"$STATE/lab.env.tmp"
    mv "$STATE/lab.env.tmp" "$STATE/lab.env"
}

# The nodes currently in the lab, in creation order.
nodes() {
    [[ -d $STATE/nodes ]] || return 0
    find "$STATE/nodes" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -t- -k2 -n
}

# The pods currently in the lab, in creation order.
pods() {
    [[ -d $STATE/pods ]] || return 0
    find "$STATE/pods" -mindepth 1 -maxdepth 1 -type f -printf '%T@ %f\n' | sort -n | cut -d' ' -f2
}

# cluster_cidrs: --cluster-cidr's value: the IPv4 CIDR, and the IPv6 one in a dual-stack lab.
cluster_cidrs() { ((DUAL_STACK)) && echo "$CLUSTER_CIDR,$CLUSTER_CIDR6" || echo "$CLUSTER_CIDR"; }

require_node() { [[ -d $(node_dir "$1") ]] || die "no node $1 in lab $LAB (nodes: $(nodes | tr '\n' ' '))"; }
require_pod() { [[ -f $(pod_file "$1") ]] || die "no pod $1 in lab $LAB (pods: $(pods | tr '\n' ' '))"; }

require_datastore() { [[ $DATASTORE == "$1" ]] || die "lab $LAB runs on the $DATASTORE datastore, not $1"; }

require_binary() { [[ -x $BIN_DIR/$1 ]] || die "$BIN_DIR/$1 is missing: run make release (or set TRELLIS_BIN_DIR)"; }
