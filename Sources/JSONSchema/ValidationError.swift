/// One reason an instance fails its schema.
public struct ValidationError: Sendable, Equatable, CustomStringConvertible {
    /// RFC 6901 JSON Pointer to the offending value in the instance (`""` for the whole document).
    public let instanceLocation: String
    /// JSON Pointer to the failing keyword along the evaluation path (through any `$ref`).
    public let keywordLocation: String
    /// A human sentence about the value, such as "must be at most 10 characters long".
    public let message: String

    public init(instanceLocation: String, keywordLocation: String, message: String) {
        self.instanceLocation = instanceLocation
        self.keywordLocation = keywordLocation
        self.message = message
    }

    public var description: String { "\(instanceLocation.isEmpty ? "/" : instanceLocation): \(message)" }
}
