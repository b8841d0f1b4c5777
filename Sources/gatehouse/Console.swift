import Foundation

/// Where the CLI writes: results to stdout (exactly the data, so scripts can parse it),
/// everything else to stderr.
enum Console {
    static func out(_ text: String) {
        print(text, terminator: text.hasSuffix("\n") || text.isEmpty ? "" : "\n")
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
