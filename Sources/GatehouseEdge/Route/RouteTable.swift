import GatehouseModel

/// The path matcher of one org's prefix or of one host: a segment trie searched literal-first,
/// then parameter, then wildcard, so the most specific pattern always wins and ties cannot
/// exist (the control plane refuses patterns of equal shape).
public struct RouteTable: Sendable {
    final class Node: Sendable {
        let literals: [String: Node]
        let parameter: Node?
        /// Routes whose pattern ends here.
        let terminal: [CompiledRoute]
        /// Routes whose pattern ends here with a trailing `*`.
        let wildcard: [CompiledRoute]

        init(literals: [String: Node], parameter: Node?, terminal: [CompiledRoute], wildcard: [CompiledRoute]) {
            self.literals = literals
            self.parameter = parameter
            self.terminal = terminal
            self.wildcard = wildcard
        }
    }

    let root: Node
    public let count: Int

    public enum Match {
        case found(CompiledRoute, parameters: [Substring])
        /// Some route has this path, none this method. `route` is the most specific route of
        /// the path: its CORS rules answer preflights even when it does not list `OPTIONS`.
        case methodNotAllowed(allowed: [String], route: CompiledRoute?)
        case notFound
    }

    /// Finds the most specific route for `segments` (already percent-decoded) and `method`.
    public func match(_ segments: [Substring], method: String) -> Match {
        var captured: [Substring] = []
        captured.reserveCapacity(4)
        var allowed: Set<String> = []
        var pathRoute: CompiledRoute?
        if let route = search(root, segments[...], method: method, captured: &captured, allowed: &allowed, pathRoute: &pathRoute) {
            return .found(route, parameters: captured)
        }
        guard let pathRoute else { return .notFound }
        return .methodNotAllowed(allowed: allowed.sorted(), route: pathRoute)
    }

    private func search(
        _ node: Node, _ rest: ArraySlice<Substring>, method: String,
        captured: inout [Substring], allowed: inout Set<String>, pathRoute: inout CompiledRoute?
    ) -> CompiledRoute? {
        guard let segment = rest.first else {
            if let route = pick(node.terminal, method: method, allowed: &allowed, pathRoute: &pathRoute) { return route }
            return pick(node.wildcard, method: method, allowed: &allowed, pathRoute: &pathRoute)
        }
        let tail = rest.dropFirst()
        if let next = node.literals[String(segment)],
            let route = search(next, tail, method: method, captured: &captured, allowed: &allowed, pathRoute: &pathRoute)
        {
            return route
        }
        if let next = node.parameter, !segment.isEmpty {
            captured.append(segment)
            if let route = search(next, tail, method: method, captured: &captured, allowed: &allowed, pathRoute: &pathRoute) {
                return route
            }
            captured.removeLast()
        }
        return pick(node.wildcard, method: method, allowed: &allowed, pathRoute: &pathRoute)
    }

    private func pick(_ routes: [CompiledRoute], method: String, allowed: inout Set<String>, pathRoute: inout CompiledRoute?) -> CompiledRoute? {
        for route in routes {
            if route.allows(method: method) { return route }
            // The search goes most specific first: the first route seen is the path's.
            if pathRoute == nil { pathRoute = route }
            allowed.formUnion(route.methods)
        }
        return nil
    }
}

extension RouteTable {
    /// Builds the trie. Input order does not matter; entries at one node keep insertion order.
    public init(entries: [(PathPattern, CompiledRoute)]) {
        final class Builder {
            var literals: [String: Builder] = [:]
            var parameter: Builder?
            var terminal: [CompiledRoute] = []
            var wildcard: [CompiledRoute] = []

            func freeze() -> Node {
                Node(
                    literals: literals.mapValues { $0.freeze() }, parameter: parameter?.freeze(),
                    terminal: terminal, wildcard: wildcard)
            }
        }
        let root = Builder()
        for (pattern, route) in entries {
            var node = root
            for segment in pattern.segments {
                switch segment {
                case .literal(let text):
                    if let next = node.literals[text] {
                        node = next
                    } else {
                        let next = Builder()
                        node.literals[text] = next
                        node = next
                    }
                case .parameter:
                    if let next = node.parameter {
                        node = next
                    } else {
                        let next = Builder()
                        node.parameter = next
                        node = next
                    }
                }
            }
            if pattern.hasWildcard {
                node.wildcard.append(route)
            } else {
                node.terminal.append(route)
            }
        }
        self.root = root.freeze()
        self.count = entries.count
    }
}
