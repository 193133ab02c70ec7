import Foundation
import NetworkModel
@testable import Policy

/// One packet through the node's forward hook, as the tests ask about it.
struct Packet {
    var inputInterface: String?
    var outputInterface: String?
    var source: IPAddress
    var destination: IPAddress
    var `protocol`: PolicyProtocol
    var port: Int
}

/// Evaluates a packet of a new connection against a `PolicyRuleset` the way the rendered table
/// does (the forward chain, the dispatch maps, the pod chains), reading the compiler's own rule
/// text. It understands exactly the grammar the compiler writes and fails the test on anything
/// else; the kernel tests prove that nftables reads that text the same way.
struct PacketEvaluator {
    let ruleset: PolicyRuleset

    /// True when the packet passes.
    func allows(_ packet: Packet) throws -> Bool {
        for (direction, interface) in [(PolicyDirection.egress, packet.inputInterface), (.ingress, packet.outputInterface)] {
            guard let interface, interface.hasPrefix(ruleset.workloadInterfacePrefix) else { continue }
            switch ruleset.dispatch(direction)[interface] {
            case .open?: continue
            case .goto(let chain)?:
                guard try passes(chain, packet) else { return false }
            case nil: return false
            }
        }
        return true
    }

    private func passes(_ chain: String, _ packet: Packet) throws -> Bool {
        guard let lines = ruleset.chains[chain] else { throw EvaluatorError.missing(chain) }
        for line in lines {
            if line == "counter drop" { return false }
            if line == "return" { return true }
            guard line.hasSuffix(" return") else { throw EvaluatorError.unknown(line) }
            if try matches(String(line.dropLast(" return".count)), packet) { return true }
        }
        throw EvaluatorError.unknown("chain \(chain) does not end in a drop")
    }

    /// True when every condition of `text` holds.
    private func matches(_ text: String, _ packet: Packet) throws -> Bool {
        var tokens = tokenize(text)[...]
        while let head = tokens.popFirst() {
            switch head {
            case "ip", "ip6":
                let family: IPFamily = head == "ip" ? .v4 : .v6
                let field = tokens.popFirst()
                let address = field == "saddr" ? packet.source : packet.destination
                guard address.family == family else { return false }
                if tokens.first == "." {
                    // ip daddr . meta l4proto . th dport @set
                    guard Array(tokens.prefix(6)) == [".", "meta", "l4proto", ".", "th", "dport"] else { throw EvaluatorError.unknown(text) }
                    tokens = tokens.dropFirst(6)
                    let element = PolicySet.Element.addressPort(address, packet.protocol, packet.port)
                    guard try set(tokens.popFirst()).contains(element) else { return false }
                    continue
                }
                let value = tokens.popFirst() ?? ""
                if value.hasPrefix("@") {
                    let members = try set(value)
                    let inPrefix = members.contains { element in
                        if case .prefix(let prefix) = element { prefix.contains(address) } else { false }
                    }
                    guard members.contains(.address(address)) || inPrefix else { return false }
                } else {
                    let prefixes = try list(value).map { text -> IPPrefix in
                        guard let prefix = IPPrefix(text) else { throw EvaluatorError.unknown(text) }
                        return prefix
                    }
                    guard prefixes.contains(where: { $0.contains(address) }) else { return false }
                }
            case "meta":
                guard tokens.popFirst() == "l4proto", let proto = tokens.popFirst() else { throw EvaluatorError.unknown(text) }
                guard proto == packet.protocol.rawValue else { return false }
            case "tcp", "udp", "sctp":
                guard tokens.popFirst() == "dport", let value = tokens.popFirst() else { throw EvaluatorError.unknown(text) }
                guard head == packet.protocol.rawValue else { return false }
                let ranges = try list(value).map { item -> ClosedRange<Int> in
                    let bounds = item.split(separator: "-").compactMap { Int($0) }
                    guard let low = bounds.first, let high = bounds.last else { throw EvaluatorError.unknown(item) }
                    return low...high
                }
                guard ranges.contains(where: { $0.contains(packet.port) }) else { return false }
            default:
                throw EvaluatorError.unknown(text)
            }
        }
        return true
    }

    private func set(_ reference: String?) throws -> Set<PolicySet.Element> {
        guard let reference, reference.hasPrefix("@"), let set = ruleset.sets[String(reference.dropFirst())] else {
            throw EvaluatorError.missing(reference ?? "a set")
        }
        return set.elements
    }

    /// `{ a, b }` or a single value, as its items.
    private func list(_ token: String) throws -> [String] {
        guard token.hasPrefix("{") else { return [token] }
        return token.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// Splits on spaces, keeping `{ ... }` as one token.
    private func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            if character == "{" { depth += 1 }
            if character == "}" { depth -= 1 }
            if character == " " && depth == 0 {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}

enum EvaluatorError: Error {
    case unknown(String)
    case missing(String)
}
