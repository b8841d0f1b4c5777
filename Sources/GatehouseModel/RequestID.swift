/// Request ids travel in `X-Request-Id` on both listeners. A client's own id is kept when it is
/// sane, so one id can follow a request through several systems; anything else is replaced.
public enum RequestIDRule {
    /// 1–128 visible ASCII characters: safe to echo in a header and to write in a log line.
    public static func accepts(_ given: String) -> Bool {
        (1...128).contains(given.utf8.count) && given.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }
}
