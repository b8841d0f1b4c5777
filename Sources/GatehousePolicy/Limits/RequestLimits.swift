import GatehouseModel

/// What a route lets through before anything else runs: methods, content types, sizes. Checked
/// on the request head (the body's size again as it streams), so a refused request costs no
/// upstream work.
public struct RequestLimits: Sendable, Equatable {
    /// Upper-case; empty: any.
    public let methods: Set<String>
    /// Media types without parameters, lower-case (`application/json`); `type/*` allowed;
    /// empty: any. Requests without a body need no content type.
    public let contentTypes: Set<String>
    public let maxBodyBytes: Int?
    /// Names, values and the 32 bytes per field HPACK counts (RFC 7541 §4.1), summed.
    public let maxHeaderBytes: Int?

    public init(methods: [String] = [], contentTypes: [String] = [], maxBodyBytes: Int? = nil, maxHeaderBytes: Int? = nil) {
        self.methods = Set(methods.map { $0.uppercased() })
        self.contentTypes = Set(contentTypes.map { $0.lowercased() })
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
    }

    /// Why a request is refused, with the status to answer.
    public enum Refusal: Equatable, Sendable {
        /// 405, with the methods for `Allow`.
        case method(allowed: [String])
        /// 415.
        case contentType(String?)
        /// 413.
        case bodyTooLarge(limit: Int)
        /// 431.
        case headersTooLarge(limit: Int)

        public var status: Int {
            switch self {
            case .method: 405
            case .contentType: 415
            case .bodyTooLarge: 413
            case .headersTooLarge: 431
            }
        }
    }

    /// Checks a request head. `contentLength` is the declared body size (nil: unknown, e.g.
    /// streamed; the body is counted as it arrives with `check(bodyBytesSoFar:)`).
    public func check(
        method: String, contentType: String?, contentLength: Int?, headers: some Sequence<(name: String, value: String)>
    ) -> Refusal? {
        if !methods.isEmpty, !methods.contains(method) { return .method(allowed: methods.sorted()) }
        if let maxHeaderBytes {
            var total = 0
            for header in headers {
                total += header.name.utf8.count + header.value.utf8.count + 32
                if total > maxHeaderBytes { return .headersTooLarge(limit: maxHeaderBytes) }
            }
        }
        if let maxBodyBytes, let contentLength, contentLength > maxBodyBytes { return .bodyTooLarge(limit: maxBodyBytes) }
        let hasBody = (contentLength ?? 0) > 0 || (contentLength == nil && contentType != nil)
        if !contentTypes.isEmpty, hasBody, !allows(contentType: contentType) { return .contentType(contentType) }
        return nil
    }

    public func check(bodyBytesSoFar: Int) -> Refusal? {
        guard let maxBodyBytes, bodyBytesSoFar > maxBodyBytes else { return nil }
        return .bodyTooLarge(limit: maxBodyBytes)
    }

    private func allows(contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map { String($0).lowercased() } ?? ""
        let trimmed = headerListItems([mediaType]).first.map(String.init) ?? ""
        if contentTypes.contains(trimmed) { return true }
        guard let slash = trimmed.firstIndex(of: "/") else { return false }
        return contentTypes.contains(trimmed[..<slash] + "/*")
    }

    /// Whether `text` is a media range a rule may list: `type/subtype` or `type/*`, tokens only,
    /// no parameters.
    public static func isMediaRange(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        return parts.count == 2 && parts[0] != "*" && parts.allSatisfy(FieldRules.isToken)
    }
}
