import Synchronization

/// What uploads in progress hold of the code directory, so that a collection pass never removes
/// bytes an upload has stored (or found stored) but whose function is not written yet.
///
/// An upload holds its digest's entries from before it touches the disk until its function is
/// saved or it is refused. A pass notes the generation
/// when it begins and, when it removes, spares every entry held now or held at any moment since
/// it began: an upload that finished in between has saved its function before the pass read
/// the store, or is still counted as held.
final class CodeHolds: Sendable {
    /// One per process: every `CodeStore` over the same data directory shares it.
    static let shared = CodeHolds()

    struct Hold: Hashable, Sendable {
        let id: UInt64
        let names: [String]
    }

    private struct State {
        var generation: UInt64 = 0
        var holds: Set<Hold> = []
        /// The generation at which each name was last held, kept while a pass may need it.
        var lastHeld: [String: UInt64] = [:]
        /// The generations at which the running passes began (a pass may run while another does).
        var passes: [UInt64] = []
    }

    private let state = Mutex(State())

    func hold(_ names: [String]) -> Hold {
        state.withLock { state in
            state.generation += 1
            let hold = Hold(id: state.generation, names: names)
            state.holds.insert(hold)
            for name in names { state.lastHeld[name] = state.generation }
            return hold
        }
    }

    func release(_ hold: Hold) {
        _ = state.withLock { $0.holds.remove(hold) }
    }

    func beginPass() -> UInt64 {
        state.withLock { state in
            state.passes.append(state.generation)
            return state.generation
        }
    }

    /// Ends the pass begun at `start`: `remove` runs under the lock with the names it must spare,
    /// so no upload takes a hold while entries are being removed.
    func endPass<T>(begunAt start: UInt64, _ remove: (Set<String>) -> T) -> T {
        state.withLock { state in
            var spared = Set(state.holds.flatMap(\.names))
            for (name, generation) in state.lastHeld where generation > start { spared.insert(name) }
            let result = remove(spared)
            if let index = state.passes.firstIndex(of: start) { state.passes.remove(at: index) }
            let oldest = state.passes.min() ?? state.generation
            let held = Set(state.holds.flatMap(\.names))
            state.lastHeld = state.lastHeld.filter { $0.value > oldest || held.contains($0.key) }
            return result
        }
    }
}
