import Foundation

/// The part of `Cache-Control` (RFC 9111 §5.2) that decides how long a fetched key set is kept.
enum CacheControl {
    /// The lifetime the header grants, in seconds: `max-age`, or 0 for `no-cache`/`no-store`;
    /// nil when the header says nothing about it. The caller bounds the value.
    static func maxAge(_ headerValues: [String]) -> TimeInterval? {
        var maxAge: TimeInterval?
        for directive in headerValues.joined(separator: ",").split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            }
            guard let name = parts.first else { continue }
            switch name {
            case "no-cache", "no-store":
                return 0
            case "max-age" where parts.count == 2:
                let value = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                if let seconds = Int(value), seconds >= 0 { maxAge = TimeInterval(seconds) }
            default:
                continue
            }
        }
        return maxAge
    }
}
