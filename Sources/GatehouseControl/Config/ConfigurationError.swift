import Foundation

/// A setting of `gatehouse serve` that could not be accepted.
///
/// Says where the value came from (file, environment, flag), which key carried it and why it was
/// refused, so that the operator can fix the right place without guessing.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public enum Source: Equatable, Sendable {
        /// The YAML configuration file at this path.
        case file(path: String)
        /// An environment variable; the key is the variable's name.
        case environment
        /// A command-line flag; the key is the setting's name.
        case flags
    }

    public var source: Source?
    /// The key as the source spells it: `tls.certificates[1].hosts` in a file,
    /// `GATEHOUSE_PUBLIC_ADDR` in the environment, `publicAddr` for a flag.
    public var key: String?
    public var reason: String

    public init(source: Source? = nil, key: String? = nil, reason: String) {
        self.source = source
        self.key = key
        self.reason = reason
    }

    public var description: String {
        let keyPart = key.map { "key '\($0)'" }
        let location: [String]
        switch source {
        case .file(let path): location = ["configuration file \(path)"] + (keyPart.map { [$0] } ?? [])
        case .environment: location = ["environment variable \(key ?? "?")"]
        case .flags: location = ["option \(key ?? "?")"]
        case nil: location = keyPart.map { [$0] } ?? []
        }
        return (location + [reason]).joined(separator: ": ")
    }

    public var errorDescription: String? { description }

    /// The same error, attributed to the place the offending value came from. Errors raised by
    /// value parsers (`ListenAddress(parsing:)`) know the reason but not the place.
    func attributed(to source: Source, key: String) -> ConfigurationError {
        ConfigurationError(source: self.source ?? source, key: self.key ?? key, reason: reason)
    }
}
