import ArgumentParser

/// Names an unknown subcommand as such, with the nearest known one: `gatehouse rout list`
/// says "unknown command 'rout' (did you mean 'route'?)", where ArgumentParser, having no
/// command to read the rest with, blamed whatever option came next (`Unknown option '--org'`).
enum SubcommandSuggestion {
    /// The message for the first word of `arguments` that is not a subcommand where one is
    /// expected; nil when every word is (ArgumentParser's own errors are then the right ones).
    static func problem(in arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command: any ParsableCommand.Type = root
        var path = [root.configuration.commandName ?? "gatehouse"]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            // `help` is ArgumentParser's own (`gatehouse help route`).
            guard !subcommands.isEmpty, !word.hasPrefix("-"), word != "help" else { return nil }
            guard let index = subcommands.firstIndex(where: { names(of: $0).contains(word) }) else {
                return unknown(word, path: path.joined(separator: " "), known: subcommands.map { names(of: $0)[0] })
            }
            command = subcommands[index]
            path.append(names(of: command)[0])
        }
        return nil
    }

    /// A command's name, then its aliases.
    private static func names(of command: any ParsableCommand.Type) -> [String] {
        [command._commandName] + command.configuration.aliases
    }

    private static func unknown(_ word: String, path: String, known: [String]) -> String {
        var nearest = known[0]
        for name in known where distance(word, name) < distance(word, nearest) { nearest = name }
        let hint = distance(word, nearest) <= max(2, word.count / 3) ? "did you mean '\(nearest)'?" : "one of: \(known.joined(separator: ", "))"
        return "unknown command '\(word)' for '\(path)' (\(hint))\n(see '\(path) --help')"
    }

    /// Levenshtein distance, case-insensitive.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.lowercased()), b = Array(b.lowercased())
        guard !a.isEmpty else { return b.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
