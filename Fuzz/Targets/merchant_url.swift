import ShroffCore

/// The merchant URL rule (notify_url, return_url and the default webhook URL) and the H5 domain
/// check: never traps; the normal form is stable, plain ASCII, and has no userinfo or backslash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let url = try? MerchantURL.parse(text) else { return 0 }
    let normalized = url.normalized
    precondition(normalized.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }, "normal form has a forbidden byte")
    precondition(normalized.hasPrefix("http://") || normalized.hasPrefix("https://"), "normal form has another scheme")
    let again = try? MerchantURL.parse(normalized)
    precondition(again == url, "the normal form parses to another URL")
    let authority = normalized.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: false)[2]
    precondition(!authority.contains("@"), "userinfo in the normal form")
    for domain in ["shop.example.com", "example.com", "com", ""] {
        if url.isWithin(domain: domain) {
            guard case .name(let host) = url.host else { preconditionFailure("an IP address within a domain") }
            precondition(host == domain || host.hasSuffix("." + domain), "isWithin disagrees with the host")
        }
    }
    return 0
}
