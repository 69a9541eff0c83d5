import Foundation

/// Issues the gateway's opaque ids: a one-letter kind, the creation time in milliseconds and random
/// digits, so that nodes never need to coordinate and ids sort roughly by time. At most 32 characters.
public enum Identifier {
    public static func paymentIntent(at time: Date) -> String { make(prefix: "C", at: time) }
    public static func refund(at time: Date) -> String { make(prefix: "R", at: time) }

    /// A webhook event id in the Standard Webhooks style (`msg_` + 26 base32 characters).
    public static func webhookEvent() -> String {
        let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")
        var generator = SystemRandomNumberGenerator()
        return "msg_" + String((0..<26).map { _ in alphabet[Int(generator.next() % 32)] })
    }

    static func make(prefix: String, at time: Date) -> String {
        let millis = Int64((time.timeIntervalSince1970 * 1000).rounded(.down))
        var generator = SystemRandomNumberGenerator()
        let random = (0..<12).map { _ in String(generator.next() % 10) }.joined()
        return "\(prefix)\(millis)\(random)"
    }
}
