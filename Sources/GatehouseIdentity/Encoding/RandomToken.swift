/// A fresh credential or nonce: `byteCount` random bytes, base64url (43 characters for 32).
public enum RandomToken {
    public static func make(byteCount: Int = 32) -> String {
        Base64URL.encode(RandomBytes.make(count: byteCount))
    }
}
