import Foundation
import YAML

/// What `deploy/trellis.yaml` gives the agent's pods, read from the manifest as it is: the
/// DaemonSet's pod template and the ConfigMap its containers take their environment from. Only
/// the fields a kubelet acts on for this pod are modelled; the test fails on a manifest that
/// names something else it would have to honour (a volume that is no hostPath, an env value
/// from another source).
struct DeployManifest {
    /// `deploy/trellis.yaml` of this checkout.
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/trellis.yaml").path

    var podSpec: PodSpec
    var configMaps: [String: [String: String]]

    /// Reads and decodes the manifest. Throws `YAMLError`, `DecodingError`, or `LabError` when it
    /// has no DaemonSet.
    static func load(path: String = path) throws -> DeployManifest {
        let documents = try YAMLReader.documents(String(contentsOfFile: path, encoding: .utf8))
        func decode<T: Decodable>(_ type: T.Type, _ node: YAMLNode) throws -> T {
            try JSONDecoder().decode(type, from: Data(node.json.utf8))
        }
        var configMaps: [String: [String: String]] = [:]
        var podSpec: PodSpec?
        for document in documents {
            switch document["kind"] {
            case .scalar("ConfigMap", _)?:
                let map = try decode(ConfigMap.self, document)
                configMaps[map.metadata.name] = map.data ?? [:]
            case .scalar("DaemonSet", _)?:
                podSpec = try decode(DaemonSet.self, document).spec.template.spec
            default:
                continue
            }
        }
        guard let podSpec else { throw LabError(message: "\(path) has no DaemonSet") }
        return DeployManifest(podSpec: podSpec, configMaps: configMaps)
    }

    private struct ConfigMap: Decodable {
        struct Metadata: Decodable { var name: String }
        var metadata: Metadata
        var data: [String: String]?
    }

    private struct DaemonSet: Decodable {
        struct Spec: Decodable { var template: Template }
        struct Template: Decodable { var spec: PodSpec }
        var spec: Spec
    }
}

/// A pod spec, as much as kubelet acts on for Trellis's pod.
struct PodSpec: Decodable {
    var hostNetwork: Bool?
    var initContainers: [Container]?
    var containers: [Container]
    var volumes: [Volume]?
    var automountServiceAccountToken: Bool?

    struct Container: Decodable {
        var name: String
        var image: String
        var imagePullPolicy: String?
        var command: [String]?
        var args: [String]?
        var env: [EnvVar]?
        var envFrom: [EnvFromSource]?
        var securityContext: SecurityContext?
        var volumeMounts: [VolumeMount]?
        var livenessProbe: Probe?
        var readinessProbe: Probe?
    }

    struct EnvVar: Decodable {
        var name: String
        var value: String?
        var valueFrom: ValueFrom?
        struct ValueFrom: Decodable {
            var fieldRef: FieldRef?
            struct FieldRef: Decodable { var fieldPath: String }
        }
    }

    struct EnvFromSource: Decodable {
        var configMapRef: Reference?
        struct Reference: Decodable { var name: String }
    }

    struct SecurityContext: Decodable {
        var privileged: Bool?
        var capabilities: Capabilities?
        struct Capabilities: Decodable {
            var add: [String]?
            var drop: [String]?
        }
    }

    struct VolumeMount: Decodable {
        var name: String
        var mountPath: String
        var readOnly: Bool?
    }

    struct Probe: Decodable {
        var httpGet: HTTPGet?
        struct HTTPGet: Decodable {
            var host: String?
            var path: String
            var port: Int
        }
    }

    struct Volume: Decodable {
        var name: String
        var hostPath: HostPath?
        struct HostPath: Decodable {
            var path: String
            var type: String?
        }
    }
}
