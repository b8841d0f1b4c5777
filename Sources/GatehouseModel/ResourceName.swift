/// Names of orgs and of everything inside them are lowercase DNS labels (RFC 1123), so they can
/// appear unchanged in URLs, host names and file names.
public enum ResourceName {
    public static let rule =
        "must be a lowercase DNS label: 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"

    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        return alnum(first) && alnum(last) && bytes.allSatisfy { alnum($0) || $0 == 0x2D }
    }

    public static func validate(_ name: String, field: String = "name") throws(Problem) {
        guard isValid(name) else {
            throw Problem.invalidField(field, "'\(name.prefix(80))': \(field) \(rule)")
        }
    }
}
