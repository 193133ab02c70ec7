#if canImport(Glibc)
import Glibc
#endif

/// One run of an external program through `posix_spawn`: stdin from `/dev/null`, stdout and
/// stderr captured, waited for. What `NFTCommand` runs `nft` with; Foundation's `Process` would
/// pull full Foundation (and ICU's data) into the agent.
struct ChildProcess {
    /// How the child ended and everything it wrote.
    struct Outcome {
        /// The exit status; 128 + N when signal N ended it (as a shell reports it).
        let status: Int32
        let stdout: [UInt8]
        let stderr: [UInt8]
    }

    /// Why the child could not be run (it never started, or could not be waited for).
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `argv[0]`, an absolute path, with `argv`, this process's environment, the default
    /// disposition for every signal and an empty signal mask (the agent's own handlers and
    /// blocked signals are not the child's). Reads both pipes to their end without threads, so
    /// neither can fill up and stall the child, then reaps it. Throws `Failure` with the errno's
    /// text when the pipes, the spawn or the wait fail.
    static func run(_ argv: [String]) throws(Failure) -> Outcome {
        var output: [Int32] = [-1, -1]
        var errors: [Int32] = [-1, -1]
        guard makePipe(&output) else { throw failure("pipe") }
        guard makePipe(&errors) else {
            let failed = failure("pipe")
            close(output[0]); close(output[1])
            throw failed
        }
        let pid: pid_t
        do {
            defer { close(output[1]); close(errors[1]) }
            pid = try spawn(argv, stdout: output[1], stderr: errors[1])
        } catch {
            close(output[0]); close(errors[0])
            throw error
        }
        let (stdout, stderr) = drain(output[0], errors[0])
        return Outcome(status: try wait(pid), stdout: stdout, stderr: stderr)
    }

    /// A pipe whose ends are closed on exec: only the ends `spawn` dup2s onto the child's
    /// stdout and stderr reach it. (`pipe2` is not visible from Swift; another thread spawning
    /// between `pipe` and `fcntl` could inherit an end, which only delays this end of file
    /// until that child exits.)
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func spawn(_ argv: [String], stdout: Int32, stderr: Int32) throws(Failure) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        var allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let arguments = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, argv[0], &actions, &attributes, arguments, environ)
        guard result == 0 else { throw Failure(description: "cannot run \(argv[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Reads two pipes until both report end of file, then closes them.
    private static func drain(_ first: Int32, _ second: Int32) -> ([UInt8], [UInt8]) {
        var collected: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: first, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: second, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count > 0 {
                    collected[index].append(contentsOf: buffer[..<count])
                } else if count == 0 || errno != EINTR && errno != EAGAIN {
                    close(fds[index].fd)
                    fds[index].fd = -1
                }
            }
        }
        fds.filter { $0.fd >= 0 }.forEach { close($0.fd) }
        return (collected[0], collected[1])
    }

    private static func wait(_ pid: pid_t) throws(Failure) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw failure("waitpid") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private static func failure(_ call: String) -> Failure {
        Failure(description: "\(call): \(String(cString: strerror(errno)))")
    }
}
