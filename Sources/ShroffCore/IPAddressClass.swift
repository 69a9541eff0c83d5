/// Whether an IP address is one a webhook must never be sent to (the SSRF filter), judged on its
/// bytes. Pure, so it can be fuzzed on its own; the webhook target policy applies it to every
/// address a notify URL's host resolves to.
public enum IPAddressClass {
    /// `bytes`: the 16 bytes of an IPv6 address in network order.
    public static func isNonPublic(ipv6 bytes: [UInt8]) -> Bool {
        guard bytes.count == 16 else { return true }
        func ipv4(at offset: Int) -> UInt32 { bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) } }
        func zero(_ range: Range<Int>) -> Bool { bytes[range].allSatisfy { $0 == 0 } }
        let word0 = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let word1 = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        // ::/96 (:: and ::1 too, as 0.0.0.0/8), ::ffff:0:0/96 and ::ffff:0:0:0/96 (IPv4-compatible,
        // -mapped and -translated).
        if zero(0..<12) || (zero(0..<10) && bytes[10] == 0xff && bytes[11] == 0xff)
            || (zero(0..<8) && bytes[8] == 0xff && bytes[9] == 0xff && zero(10..<12)) {
            return isNonPublic(ipv4: ipv4(at: 12))
        }
        // 64:ff9b::/96, the well-known NAT64 prefix: a gateway relays to the IPv4 address at the end.
        if word0 == 0x0064, word1 == 0xff9b, zero(4..<12) { return isNonPublic(ipv4: ipv4(at: 12)) }
        // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): the network's own translators, and the IPv4
        // address sits where the local prefix length puts it, so the whole range is refused.
        if word0 == 0x0064, word1 == 0xff9b, bytes[4] == 0, bytes[5] == 1 { return true }
        // 2002::/16, 6to4: the IPv4 address follows the prefix.
        if word0 == 0x2002 { return isNonPublic(ipv4: ipv4(at: 2)) }
        // 2001::/32, Teredo: the server's IPv4 address, then the client's, inverted bit by bit.
        if word0 == 0x2001, word1 == 0x0000 { return isNonPublic(ipv4: ipv4(at: 4)) || isNonPublic(ipv4: ~ipv4(at: 12)) }
        if bytes[0] & 0xfe == 0xfc { return true } // fc00::/7 unique local (incl. fd00:ec2::254)
        if bytes[0] == 0xfe, bytes[1] & 0xc0 == 0x80 { return true } // fe80::/10 link-local
        if bytes[0] == 0xff { return true } // multicast
        if word0 == 0x0100, zero(2..<8) { return true } // 100::/64 discard-only
        return false
    }

    public static func isNonPublic(ipv4 address: UInt32) -> Bool {
        func inRange(_ base: UInt32, _ prefix: UInt32) -> Bool {
            let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << (32 - prefix)
            return address & mask == base & mask
        }
        let ranges: [(UInt32, UInt32)] = [
            (0x0000_0000, 8), (0x0A00_0000, 8), (0x6440_0000, 10), (0x7F00_0000, 8), (0xA9FE_0000, 16),
            (0xAC10_0000, 12), (0xC0A8_0000, 16), (0xC000_0000, 24), (0xE000_0000, 4), (0xF000_0000, 4),
        ]
        return ranges.contains { inRange($0.0, $0.1) }
    }
}
