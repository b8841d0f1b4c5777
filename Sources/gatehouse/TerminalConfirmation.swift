import Foundation

/// A yes/no question for destructive commands (`apply --prune`): asked only on a terminal, so a
/// script that forgot `--yes` is refused instead of hanging on a prompt nobody sees or reading
/// its answer from a piped file.
enum TerminalConfirmation {
    enum Answer: Equatable {
        case yes, no
        /// Standard input is not a terminal: there is no one to ask.
        case noTerminal
    }

    /// Asks `question` on stderr with `[y/N]`; only `y` or `yes` (any case) is a yes.
    static func ask(_ question: String) -> Answer {
        guard isatty(STDIN_FILENO) == 1 else { return .noTerminal }
        FileHandle.standardError.write(Data("\(question) [y/N] ".utf8))
        let reply = readLine()?.trimmingCharacters(in: .whitespaces).lowercased()
        return reply == "y" || reply == "yes" ? .yes : .no
    }
}
