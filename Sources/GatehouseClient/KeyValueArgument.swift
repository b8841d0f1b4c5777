/// A `key=value` command-line argument (`--value user=app`, `--from-file cert=./tls.pem`).
public struct KeyValueArgument: Sendable, Equatable {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    /// Splits at the first `=`, so values may themselves contain `=` (base64 padding, URLs).
    public init(parsing text: String) throws(KeyValueArgumentError) {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
            throw KeyValueArgumentError()
        }
        key = String(text[..<equals])
        value = String(text[text.index(after: equals)...])
    }
}

/// The argument is not `key=value`. It is not repeated in the message: it may be a secret
/// value typed without its key.
public struct KeyValueArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    init() {}

    public var description: String {
        "expected key=value with a non-empty key"
    }
}
