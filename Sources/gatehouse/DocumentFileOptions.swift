import ArgumentParser
import Foundation
import GatehouseClient

/// `-f FILE` of `apply` and `delete`: a YAML or JSON file of documents, `-` for stdin.
struct DocumentFileOptions: ParsableArguments {
    @Option(name: [.short, .customLong("filename")], help: "A YAML (multi-document) or JSON file of resources; - reads stdin.")
    var file: String

    /// The file's documents, parsed and validated, in file order.
    func documents() throws -> [ApplyDocument] {
        let documents: [ApplyDocument]
        do {
            documents = try ApplyDocument.parseAll(try readText())
        } catch let error as ApplyDocumentError {
            throw OperationFailure(subject: displayName, underlying: error)
        }
        guard !documents.isEmpty else { throw CommandError("\(displayName): no documents") }
        return documents
    }

    private var displayName: String { file == "-" ? "stdin" : file }

    private func readText() throws -> String {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw CommandError("cannot read '\(file)'")
            }
            data = contents
        }
        guard let text = String(data: data, encoding: .utf8) else { throw CommandError("\(displayName) is not UTF-8 text") }
        return text
    }
}
