/// Turns `TRELLIS_*` environment variables into command-line flags, so a DaemonSet can
/// configure the agent through `env:` as well as `args:`. A flag already on the command line
/// wins over its variable.
enum EnvironmentArguments {
    /// The flags that read a variable, per subcommand. The variable is `TRELLIS_` plus the flag
    /// name upper-cased with `-` as `_` (`--cluster-cidr` reads `TRELLIS_CLUSTER_CIDR`).
    static let flags: [String: [String]] = [
        "run": ["node-name", "datastore", "etcd-endpoints", "kubeconfig", "cluster-cidr", "node-subnet-size", "node-subnet-size-v6",
                "mode", "iface", "vxlan-vni", "vxlan-port", "run-dir", "masquerade", "mtu", "metrics-addr",
                "resync-interval", "lease-ttl", "etcd-cafile", "etcd-certfile", "etcd-keyfile", "network-policy", "data-dir"],
        "install-cni": ["bin-dir", "conf-dir", "source-dir", "run-dir", "data-dir", "log-file"],
        "uninstall": ["node-name", "datastore", "etcd-endpoints", "run-dir", "bin-dir", "conf-dir",
                      "etcd-cafile", "etcd-certfile", "etcd-keyfile"],
    ]

    /// Variables accepted for a flag besides its `TRELLIS_` one, in order of preference.
    static let aliases: [String: [String]] = ["node-name": ["NODE_NAME"]]

    /// `arguments` plus `--flag value` for each flag of the subcommand that is not given but
    /// has a variable set.
    static func expand(_ arguments: [String], environment: [String: String]) -> [String] {
        guard let subcommand = arguments.first, let names = flags[subcommand] else { return arguments }
        var expanded = arguments
        for name in names where !arguments.contains(where: { $0 == "--\(name)" || $0.hasPrefix("--\(name)=") }) {
            let variables = ["TRELLIS_" + name.uppercased().replacing("-", with: "_")] + (aliases[name] ?? [])
            if let value = variables.lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) {
                expanded += ["--\(name)", value]
            }
        }
        return expanded
    }
}

import FoundationEssentials
