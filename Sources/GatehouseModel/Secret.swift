import Foundation

/// A named set of key/value secrets. Values are write-only: they are encrypted at rest and no
/// response ever contains them; reads show the keys.
public struct Secret: OrgScopedResource {
    public static let kind = ResourceKind.secret
    public static let maxValues = 64
    public static let maxValueBytes = 64 * 1024

    public var name: String
    /// Only present on input. Never encoded into a response.
    public var values: [String: String]?
    /// The keys of `values`, filled by the server on output.
    public var keys: [String]?
    public var org: String?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    public init(name: String, values: [String: String]) {
        self.name = name
        self.values = values
    }

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        guard let values else { throw Problem.invalidField("values", "a secret needs 'values'") }
        guard values.count <= Secret.maxValues else {
            throw Problem.invalidField("values", "a secret holds at most \(Secret.maxValues) values")
        }
        for (key, value) in values {
            guard Secret.isValidKey(key) else {
                throw Problem.invalidField(
                    "values.\(key.prefix(64))",
                    "secret keys are 1-253 characters of letters, digits, '-', '_' and '.'")
            }
            guard value.utf8.count <= Secret.maxValueBytes else {
                throw Problem.invalidField("values.\(key)", "a secret value is at most \(Secret.maxValueBytes) bytes")
            }
        }
    }

    /// Keys are environment-variable- and file-name-safe, as Kubernetes secret keys are.
    public static func isValidKey(_ key: String) -> Bool {
        (1...253).contains(key.utf8.count) && key != "." && key != ".."
            && key.utf8.allSatisfy { b in
                (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                    || b == 0x2D || b == 0x5F || b == 0x2E
            }
    }

    public var carriesWriteOnlyValues: Bool { values != nil }

    /// The secret as a response shows it: keys, no values.
    public func redacted() -> Secret {
        var copy = self
        if let values { copy.keys = values.keys.sorted() }
        copy.values = nil
        return copy
    }
}
