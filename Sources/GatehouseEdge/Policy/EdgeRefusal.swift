import GatehouseModel

/// An answer the edge gives in the function's place because a rule refused the request.
struct EdgeRefusal {
    let problem: Problem
    var headers: [(String, String)] = []
    /// Close the connection (HTTP/1.1) or the stream (HTTP/2) after answering: the only way to
    /// stop an oversized upload the client is still sending.
    var closeAfter = false
}
