import NIOHTTP1

extension HTTPHeaders {
    /// Puts the edge's CORS and `RateLimit-*` fields on a function's response. They replace what
    /// the function said under the same names: on a route with a CORS policy the edge alone
    /// answers CORS (a function's own `Access-Control-Allow-Origin: *` would undo the policy),
    /// and the limits are the edge's. `Vary` is a list, so the function's values stay.
    mutating func applyEdgeFields(_ fields: [(String, String)], edgeOwnsCORS: Bool) {
        if edgeOwnsCORS {
            let functionCORS = self.compactMap { $0.name.lowercased().hasPrefix("access-control-") ? $0.name : nil }
            for name in functionCORS { remove(name: name) }
        }
        for (name, value) in fields {
            if name == "vary" {
                add(name: name, value: value)
            } else {
                replaceOrAdd(name: name, value: value)
            }
        }
    }
}
