import ShroffConnectors

/// The AMS notification parsers: the Signature header and the notifyPayment/notifyRefund body.
/// The input is the header, a NUL byte and the body. Never traps; a report always has an amount.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = bytes.firstIndex(of: 0) ?? bytes.count
    if let header = AMSSignatureHeader.parse(String(decoding: bytes[..<split], as: UTF8.self)) {
        precondition(header.algorithm == "RSA256" && !header.signature.isEmpty, "accepted a header without an RSA256 signature")
    }
    let body = Array(bytes[min(split + 1, bytes.count)...])
    switch try? AMSNotificationBody.parse(body) {
    case .payment(let report)?:
        precondition(!report.reportedAmount.value.isEmpty && !report.reportedAmount.currency.isEmpty, "payment report without amount")
    case .refund(let report)?:
        precondition(!report.reportedAmount.value.isEmpty && !report.reportedAmount.currency.isEmpty, "refund report without amount")
    case .paymentInProgress(let orderID, _, _)?:
        _ = orderID
    case nil:
        break
    }
    return 0
}
