import ShroffConnectors

/// The WAP gateway's form (trade_status_sync notifications) and XML answer parsers. Never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let form = WAPForm.parse(text) {
        precondition(form.count <= text.utf8.count + 1, "more fields than bytes")
    }
    let answer = WAPXMLAnswer(text: text)
    for name in ["is_success", "error", "trade_status", "out_trade_no", "total_fee", ""] { _ = answer.value(name) }
    _ = answer.isSuccess
    return 0
}
