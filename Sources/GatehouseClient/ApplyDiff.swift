import Foundation

/// What `gatehouse apply -f --dry-run` shows: for each document, whether applying it would
/// create the resource, change it (each field, stored → file), or leave it as it is. Fields the
/// server manages (revision, times, status, code) are not compared; a field the server holds
/// and the file leaves out would be reset, and is shown so.
public enum ApplyDiff {
    static let serverManaged: Set<String> = ["kind", "revision", "createdAt", "updatedAt", "status", "code"]

    /// The lines for one document: `+ created`, `= unchanged`, or `~ changed` and its fields.
    static func lines(for document: ApplyDocument, stored: JSONValue?) throws -> [String] {
        guard let stored else { return ["+ \(document.label) would be created"] }
        guard case .object(let wanted) = try OutputRenderer.jsonValue(of: document),
            case .object(let current) = stored
        else { return ["~ \(document.label) would be replaced"] }
        var fields: [String] = []
        for key in Set(wanted.keys).union(current.keys).subtracting(serverManaged).sorted() {
            let was = current[key], will = wanted[key]
            guard was != will else { continue }
            switch (was, will) {
            case (nil, let will?): fields.append("    \(key): (none) → \(try compact(will))")
            case (let was?, nil): fields.append("    \(key): \(try compact(was)) → (left out: reset to its default)")
            case (let was?, let will?): fields.append("    \(key): \(try compact(was)) → \(try compact(will))")
            case (nil, nil): break
            }
        }
        return fields.isEmpty ? ["= \(document.label) unchanged"] : ["~ \(document.label) would change:"] + fields
    }

    private static func compact(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}

extension AdminClient {
    /// The dry run's lines for `document`, against what the server holds now.
    public func dryRunLines(for document: ApplyDocument) async throws -> [String] {
        try ApplyDiff.lines(for: document, stored: try await stored(document))
    }
}
