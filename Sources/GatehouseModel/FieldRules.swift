/// Bounds shared by the fields of several resources: short texts and the lists that hold them.
/// Every list a client can send is bounded, and so is every string in it, so a resource's size
/// is known without trusting the 1 MiB body limit alone.
public enum FieldRules {
    /// The most entries any list field takes.
    public static let maxListEntries = 64

    /// A text of 1...`maxLength` Unicode scalars without control characters. Scalars, not
    /// characters: one character may be built from any number of combining scalars.
    public static func text(_ value: String, field: String, maxLength: Int) throws(Problem) {
        let scalars = value.unicodeScalars
        guard (1...maxLength).contains(scalars.count) else {
            throw Problem.invalidField(field, "\(field) must be 1-\(maxLength) characters long")
        }
        guard !scalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw Problem.invalidField(field, "\(field) must not contain control characters")
        }
    }

    /// A list of at most `maxListEntries` entries. `emptyMeans` refuses an empty list, saying
    /// why: for fields where leaving the list out means a useful default and an empty one would
    /// quietly mean "nothing".
    public static func list<T>(_ items: [T], field: String, emptyMeans: String? = nil) throws(Problem) {
        guard items.count <= maxListEntries else {
            throw Problem.invalidField(field, "\(field) has at most \(maxListEntries) entries")
        }
        if items.isEmpty, let emptyMeans {
            throw Problem.invalidField(field, "\(field) must not be empty: \(emptyMeans)")
        }
    }

    /// Refuses an entry that repeats an earlier one, naming the repeat's index.
    public static func unique(_ items: [String], field: String) throws(Problem) {
        var seen: Set<String> = []
        for (index, item) in items.enumerated() where !seen.insert(item).inserted {
            throw Problem.invalidField("\(field)[\(index)]", "'\(item.prefix(80))' is listed twice in \(field)")
        }
    }

    /// An OAuth 2.0 scope token (RFC 6749 §3.3): printable ASCII except space, `"` and `\`.
    public static func scope(_ value: String, field: String) throws(Problem) {
        let bytes = value.utf8
        guard (1...128).contains(bytes.count),
            bytes.allSatisfy({ $0 == 0x21 || (0x23...0x5B).contains($0) || (0x5D...0x7E).contains($0) })
        else {
            throw Problem.invalidField(
                field,
                "\(field) must be an OAuth scope: 1-128 printable ASCII characters without spaces, '\"' or '\\'")
        }
    }

    /// A list of scopes, each checked with `scope`.
    public static func scopes(_ values: [String], field: String, emptyMeans: String? = nil) throws(Problem) {
        try list(values, field: field, emptyMeans: emptyMeans)
        for (index, value) in values.enumerated() { try scope(value, field: "\(field)[\(index)]") }
    }

    /// A list of texts, each checked with `text`.
    public static func texts(_ values: [String], field: String, maxLength: Int, emptyMeans: String? = nil) throws(Problem) {
        try list(values, field: field, emptyMeans: emptyMeans)
        for (index, value) in values.enumerated() { try text(value, field: "\(field)[\(index)]", maxLength: maxLength) }
    }

    /// An RFC 9110 §5.6.2 token (header names, methods): 1-64 tchars.
    public static func isToken(_ value: String) -> Bool {
        let bytes = value.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { b in
                (0x61...0x7A).contains(b) || (0x41...0x5A).contains(b) || (0x30...0x39).contains(b)
                    || Array("!#$%&'*+-.^_`|~".utf8).contains(b)
            }
    }
}
