/// What a CNI plugin implements; ``CNIDispatcher`` parses the invocation, calls one method and
/// renders what it returns or throws. Methods may throw any error: ``CNIError`` and
/// ``CNIErrorConvertible`` keep their codes, anything else is reported as code 999.
/// Methods must not write to stdout: it carries the result only.
public protocol CNIPlugin {
    /// ADD: create the attachment and describe it. On failure, undo what was done.
    func add(_ request: AttachmentRequest) throws -> CNIResult
    /// CHECK: throw if the attachment (as in `request.config.prevResult`) is not as expected.
    func check(_ request: AttachmentRequest) throws
    /// DEL: remove the attachment; succeed when it is partly or wholly gone already.
    func del(_ request: DetachmentRequest) throws
    /// GC: release what belongs to attachments not in `request.config.validAttachments`.
    func gc(_ request: NetworkRequest) throws
    /// STATUS: throw `.pluginNotAvailable` (50) or `.limitedConnectivity` (51) when ADD cannot
    /// be served.
    func status(_ request: NetworkRequest) throws
}
