import ShroffCore

/// The webhook target address policy (SSRF filter) on what a merchant's URL can carry: a URL is
/// parsed as the gateway parses it, and an IP literal host is classified. Never traps; an IPv6 form
/// that embeds an IPv4 address is never more permissive than the IPv4 address itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if bytes.count == 16 {
        _ = IPAddressClass.isNonPublic(ipv6: bytes)
    }
    if bytes.count >= 4 {
        let ipv4 = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let v4 = IPAddressClass.isNonPublic(ipv4: ipv4)
        let octets = Array(bytes[0..<4])
        for prefix in [[UInt8](repeating: 0, count: 10) + [0xff, 0xff], [0x00, 0x64, 0xff, 0x9b] + [UInt8](repeating: 0, count: 8),
                       [UInt8](repeating: 0, count: 12)] {
            precondition(!v4 || IPAddressClass.isNonPublic(ipv6: prefix + octets), "an embedded non-public IPv4 address passes")
        }
        precondition(!v4 || IPAddressClass.isNonPublic(ipv6: [0x20, 0x02] + octets + [UInt8](repeating: 0, count: 10)), "6to4 passes")
    }
    let text = String(decoding: bytes, as: UTF8.self)
    if let url = try? MerchantURL.parse(text) {
        switch url.host {
        case .ipv4(let octets): _ = IPAddressClass.isNonPublic(ipv4: octets.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case .ipv6(let groups): _ = IPAddressClass.isNonPublic(ipv6: groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })
        case .name: break
        }
    }
    if let groups = IPv6Text.parse(Array(bytes.prefix(64))) {
        _ = IPAddressClass.isNonPublic(ipv6: groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] })
    }
    return 0
}
