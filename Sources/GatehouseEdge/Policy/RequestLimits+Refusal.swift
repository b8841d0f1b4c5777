import GatehouseModel
import GatehousePolicy

extension RequestLimits {
    /// The edge's answer to a request head these limits refuse.
    func refusal(_ refusal: Refusal, method: String) -> EdgeRefusal {
        switch refusal {
        case .method(let allowed):
            return EdgeRefusal(
                problem: .methodNotAllowed(method, allowed: allowed), headers: [("allow", allowed.joined(separator: ", "))])
        case .contentType:
            // The accepted types, not the request's: they are what the caller needs to fix it.
            return EdgeRefusal(
                problem: .unsupportedMediaType(
                    "this route accepts request bodies of type \(contentTypes.sorted().joined(separator: ", ")) only"))
        case .bodyTooLarge(let limit):
            return EdgeRefusal(problem: .payloadTooLarge(limit: limit), closeAfter: true)
        case .headersTooLarge(let limit):
            return EdgeRefusal(problem: .headersTooLarge(limit: limit))
        }
    }
}
