/// Lowercase hexadecimal text of bytes, written by hand: `String(format: "%02x")` a byte went
/// through Foundation's formatter and was a visible part of a create's CPU (issue 18).
public enum Hex {
    public static func lowercase(_ bytes: some Sequence<UInt8>) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    private static let digits = Array("0123456789abcdef".utf8)
}
