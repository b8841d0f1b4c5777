import Foundation

/// `--context NAME` chooses the config file's context for one command. Every client command
/// takes it (see `ConnectionOptions`), but the default org is resolved while ArgumentParser
/// validates `--org`, before the connection options are at hand; so the value is taken from the
/// arguments before parsing and handed on as `GATEHOUSE_CONTEXT`, which it thereby overrides.
enum ContextArgument {
    /// The last `--context NAME` or `--context=NAME` before a `--`, if any.
    static func named(in arguments: [String]) -> String? {
        var chosen: String?
        var index = arguments.startIndex
        while index < arguments.endIndex, arguments[index] != "--" {
            let argument = arguments[index]
            if argument == "--context", index + 1 < arguments.endIndex {
                chosen = arguments[index + 1]
                index += 1
            } else if argument.hasPrefix("--context=") {
                chosen = String(argument.dropFirst("--context=".count))
            }
            index += 1
        }
        return chosen
    }

    /// Makes the context named in `arguments` the one this process's settings use.
    static func select(from arguments: [String]) {
        if let name = named(in: arguments) { setenv("GATEHOUSE_CONTEXT", name, 1) }
    }
}
