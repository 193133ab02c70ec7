# shellcheck shell=bash
# Starting and stopping the lab's long-running processes (etcd, one trellisd per node). Each runs
# in its own session inside its namespace, with stdin from /dev/null and its output appended to a
# log in the state dir, so it outlives the `lab` command that started it and holds no pipe of the
# caller open. Its pid is written to a pid file; stopping signals that pid only, and only while
# it still runs the program the lab started.

# is_running PIDFILE PROGRAM: the pid in PIDFILE is alive (not a zombie) and runs PROGRAM.
is_running() {
    local pidfile=$1 program=$2 pid state
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ -r /proc/$pid/stat ]] || return 1
    state=$(sed -E 's/^[0-9]+ \(.*\) ([A-Z]).*/\1/' "/proc/$pid/stat" 2>/dev/null) || return 1
    [[ $state != Z ]] || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$program"
}

# start_process PIDFILE LOG NS PROGRAM ARGS...: starts PROGRAM in NS, detached, and records its pid.
start_process() {
    local pidfile=$1 logfile=$2 ns=$3
    shift 3
    rm -f "$pidfile"
    echo "--- $(date -u +%FT%T.%3NZ) lab starts: $*" >>"$logfile"
    # The inner shell closes every inherited descriptor but 0-2 (a caller may watch one for EOF to
    # learn that `lab` exited, as Foundation's Process does), writes its own pid, then execs (ip
    # netns exec execs too): the pid is PROGRAM's. No redirection around the loop: bash would keep
    # the saved stderr on a descriptor the loop closes, and PROGRAM's stderr would be /dev/null.
    setsid bash -c 'for fd in /proc/$$/fd/*; do fd=${fd##*/}; ((fd > 2)) && [[ -e /proc/$$/fd/$fd ]] && eval "exec $fd>&-"; done
        echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$pidfile" \
        ip netns exec "$ns" "$@" </dev/null >>"$logfile" 2>&1 &
    wait_until 10 "the pid file $pidfile" test -s "$pidfile"
}

# stop_process PIDFILE PROGRAM [SIGNAL]: signals the process (SIGTERM by default), waits up to
# 10 s for it to exit, then kills it. Does nothing when it does not run.
stop_process() {
    local pidfile=$1 program=$2 signal=${3:-TERM} pid
    if is_running "$pidfile" "$program"; then
        pid=$(<"$pidfile")
        kill -s "$signal" "$pid" 2>/dev/null || true
        if ! wait_until 10 "$program (pid $pid) to exit after SIG$signal" not_running "$pidfile" "$program"; then
            kill -s KILL "$pid" 2>/dev/null || true
            wait_until 5 "$program (pid $pid) to exit after SIGKILL" not_running "$pidfile" "$program"
        fi
    fi
    rm -f "$pidfile"
}

not_running() { ! is_running "$@"; }

# http_get NS PATH: prints the HTTP status code, a newline and the body of GET 127.0.0.1:METRICS_PORT
# PATH inside NS (the agent's metrics address is per node). Needs nothing but bash.
http_get() {
    in_ns "$1" timeout 3 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.1\r\nHost: lab\r\nConnection: close\r\n\r\n" "$2" >&3
        IFS=" " read -r _ code _ <&3 || exit 1
        echo "$code"
        while IFS= read -r line <&3 && [[ ${line%$'"'\r'"'} ]]; do :; done
        cat <&3' _ "$METRICS_PORT" "$2"
}

# http_status NS PATH: the status code only ("000" when nothing answers).
http_status() {
    local response
    response=$(http_get "$1" "$2" 2>/dev/null) || { echo 000; return; }
    echo "${response%%$'\n'*}"
}

# ---- etcd ----------------------------------------------------------------------------------

# etcd_start: starts etcd on its data dir (unless it runs) and waits until it is healthy.
etcd_start() {
    mkdir -p "$STATE/etcd"
    is_running "$STATE/etcd/pid" /usr/bin/etcd && return 0
    # One member; its peer URL stays on loopback, its client URL is on the lab bridge.
    local -a tls=()
    ((ETCD_TLS == 0)) || tls=(--client-cert-auth --trusted-ca-file "$STATE/pki/ca.crt"
        --cert-file "$STATE/pki/etcd.crt" --key-file "$STATE/pki/etcd.key")
    start_process "$STATE/etcd/pid" "$STATE/etcd/etcd.log" "$(ns_etcd)" /usr/bin/etcd \
        --name lab --data-dir "$STATE/etcd/data" \
        --listen-client-urls "$ETCD_URL,http://127.0.0.1:2379" --advertise-client-urls "$ETCD_URL" \
        --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
        --initial-cluster lab=http://127.0.0.1:2380 --initial-cluster-state new "${tls[@]}"
    wait_until 30 "etcd to be healthy (log: $STATE/etcd/etcd.log)" lab_etcdctl endpoint health
}

# etcd_pki_create: a CA, etcd's server pair (for its bridge address and loopback) and the
# agents' client pair, in $STATE/pki.
etcd_pki_create() {
    local pki=$STATE/pki name
    local -a key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    mkdir -p "$pki"
    openssl req -x509 "${key[@]}" -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 2 -subj "/CN=$LAB-etcd-ca" 2>/dev/null
    printf 'subjectAltName=IP:%s,IP:127.0.0.1\n' "$ETCD_IP" >"$pki/etcd.ext"
    printf 'extendedKeyUsage=clientAuth\n' >"$pki/client.ext"
    for name in etcd client; do
        openssl req "${key[@]}" -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "/CN=$LAB-$name" 2>/dev/null
        openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
            -days 2 -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
    done
}

etcd_stop() { stop_process "$STATE/etcd/pid" /usr/bin/etcd "${1:-TERM}"; }

# lab_etcdctl ARGS...: etcdctl v3 against the lab's etcd, run inside etcd's namespace.
lab_etcdctl() {
    in_ns "$(ns_etcd)" env ETCDCTL_API=3 etcdctl --endpoints http://127.0.0.1:2379 \
        --dial-timeout=2s --command-timeout=5s "$@"
}

# ---- trellisd ------------------------------------------------------------------------------

# datastore_start: the lab's etcd or, with the kubernetes datastore, its API server.
datastore_start() { if [[ $DATASTORE == kubernetes ]]; then kube_start; else etcd_start; fi; }

datastore_url() { if [[ $DATASTORE == kubernetes ]]; then echo "API server at $KUBE_URL"; else echo "etcd at $ETCD_URL"; fi; }

# agent_start NODE: starts NODE's trellisd unless it runs; does not wait for it to be ready.
agent_start() {
    local node=$1 dir
    agent_running "$node" && return 0
    dir=$(node_dir "$node")
    require_binary trellisd
    local -a datastore=(--datastore etcd --etcd-endpoints "$ETCD_URL" --node-subnet-size "$NODE_SUBNET_SIZE"
        --node-subnet-size-v6 "$NODE_SUBNET_SIZE6")
    [[ $DATASTORE != kubernetes ]] || datastore=(--datastore kubernetes --kubeconfig "$dir/kubeconfig")
    # Each node trusts its own copy of the CA, so a test can give one node a wrong one.
    if ((ETCD_TLS)) && [[ $DATASTORE == etcd ]]; then
        [[ -f $dir/etcd-ca.crt ]] || cp "$STATE/pki/ca.crt" "$dir/etcd-ca.crt"
        datastore+=(--etcd-cafile "$dir/etcd-ca.crt" --etcd-certfile "$STATE/pki/client.crt"
            --etcd-keyfile "$STATE/pki/client.key")
    fi
    start_process "$dir/trellisd.pid" "$dir/trellisd.log" "$(ns_node "$node")" "$BIN_DIR/trellisd" run \
        --node-name "$node" "${datastore[@]}" \
        --cluster-cidr "$(cluster_cidrs)" --mode "$MODE" --iface eth0 \
        --run-dir "$dir/run" --data-dir "$dir/data" --metrics-addr "127.0.0.1:$METRICS_PORT" --resync-interval "$RESYNC"
}

agent_stop() { stop_process "$(node_dir "$1")/trellisd.pid" "$BIN_DIR/trellisd" "${2:-TERM}"; }

agent_running() { is_running "$(node_dir "$1")/trellisd.pid" "$BIN_DIR/trellisd"; }

agent_ready() { [[ $(http_status "$(ns_node "$1")" /readyz) == 200 ]]; }

# agent_ready_or_gone NODE: the agent is ready, or it is not running (so waiting is pointless).
agent_ready_or_gone() { agent_ready "$1" || ! agent_running "$1"; }
