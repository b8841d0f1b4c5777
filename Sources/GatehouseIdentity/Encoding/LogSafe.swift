/// Values read from an unverified token (a `kid`, an `alg`) end up in error descriptions and log
/// lines. They are attacker-chosen, so only a short run of harmless characters is kept: enough to
/// recognise a key id, never enough to smuggle a token, a secret or a forged log line through.
public enum LogSafe {
    static let maxLength = 64

    public static func fragment(_ value: String) -> String {
        var kept = ""
        for scalar in value.unicodeScalars.prefix(maxLength) {
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", "-", "_", ".", ":", "+", "/", "@", "#":
                kept.unicodeScalars.append(scalar)
            default:
                kept.append("?")
            }
        }
        return value.unicodeScalars.count > maxLength ? kept + "…" : kept
    }
}
