import Glibc
import PodNetwork

/// Deletes a pod's host veth in a detached child process, so DEL returns without waiting for
/// the kernel: RTM_DELLINK of a veth pair takes 10-20 ms here (the kernel waits for RCU grace
/// periods), more than the rest of DEL together. DEL releases the address and returns at once;
/// the child (`trellis --reap-veth NAME INDEX`, in the same network namespace) finishes within
/// milliseconds. This is safe because nothing depends on the old veth being gone (a new pod that
/// gets the same address replaces the host route; an ADD of the same attachment that finds the
/// old veth removes it itself) and because the child deletes only the device DEL saw: the one
/// with that index, if it still has that name. A fast DEL then ADD of the same attachment
/// creates a veth of the same name with a new index, which the child leaves alone. If the child
/// cannot be started, DEL deletes inline.
enum VethReaper {
    /// The argument that turns the plugin into the reaper.
    static let argument = "--reap-veth"

    /// glibc's `POSIX_SPAWN_SETSID`, which its headers define only under `_GNU_SOURCE`.
    private static let spawnSetSID: Int16 = 0x80

    /// Starts `trellis --reap-veth NAME INDEX` with stdin, stdout and stderr on /dev/null (a runtime
    /// reads the plugin's stdout to EOF, so the child must not hold it) in a session of its own.
    /// Returns false when it could not be started.
    static func start(deleting veth: HostVeth) -> Bool {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        for fd in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] {
            posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0)
        }
        posix_spawnattr_setflags(&attributes, spawnSetSID)
        let argv = ["trellis", argument, veth.name, String(veth.index)]
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        return posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, &cArguments, environ) == 0
    }

    /// The child's work: validates NAME as a Trellis host veth (the child deletes nothing else)
    /// and deletes it if the device with INDEX still has that name. Returns the exit status.
    static func reap(_ arguments: [String]) -> Int32 {
        guard arguments.count == 4, HostVethName.isHostVethName(arguments[2]), let index = Int32(arguments[3]) else { return 2 }
        return (try? PodWiring().remove(HostVeth(name: arguments[2], index: index))) == nil ? 1 : 0
    }
}
