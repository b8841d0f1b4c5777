import ArgumentParser
import Foundation
import GatehouseClient
import GatehouseModel

/// `gatehouse secret ...`. Values are write-only: the server never returns them, so an update
/// cannot merge with the stored values and replaces all of them.
enum SecretCommands: ResourceCommandKind {
    typealias Value = Secret
    typealias Scope = OrgScope

    struct Fields: ResourceFields {
        @Option(
            name: .customLong("value"),
            help: "key=value; repeat for several. Visible to other local users in the process list: prefer --from-file.")
        var values: [String] = []

        @Option(name: .customLong("from-file"), help: "key=path: the value is the file's content; repeat for several.")
        var files: [String] = []

        var isEmpty: Bool { values.isEmpty && files.isEmpty }

        /// The values from both flags. A key given twice is an error rather than last-wins, since
        /// silently dropping one of two secrets is the worse surprise.
        func collectValues() throws -> [String: String] {
            var collected: [String: String] = [:]
            func add(_ argument: KeyValueArgument) throws {
                guard collected.updateValue(argument.value, forKey: argument.key) == nil else {
                    throw ValidationError("the key '\(argument.key)' is given twice")
                }
            }
            for text in values { try add(try parse(text, flag: "--value")) }
            for text in files {
                let argument = try parse(text, flag: "--from-file")
                try add(KeyValueArgument(key: argument.key, value: try read(argument.value, for: argument.key)))
            }
            return collected
        }

        private func parse(_ text: String, flag: String) throws -> KeyValueArgument {
            do {
                return try KeyValueArgument(parsing: text)
            } catch {
                throw ValidationError("\(flag): \(error)")
            }
        }

        private func read(_ path: String, for key: String) throws -> String {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandError("--from-file \(key): cannot read '\(path)'")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw CommandError("--from-file \(key): '\(path)' is not UTF-8 text")
            }
            return text
        }
    }

    static let abstract = "Manage secrets: write-only key/value sets, encrypted at rest."

    static func makeResource(named name: String, from fields: Fields) throws -> Secret {
        let values = try fields.collectValues()
        guard !values.isEmpty else { throw ValidationError("at least one --value or --from-file is required") }
        return Secret(name: name, values: values)
    }

    static func update(_ secret: inout Secret, from fields: Fields) throws {
        secret.values = try fields.collectValues()
        secret.keys = nil
    }
}
