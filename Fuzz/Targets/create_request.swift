import Foundation
import ShroffCore

/// The request body path of the merchant API: the byte-level depth limit, the JSON field reader and
/// the create and refund validation. Never traps; what it accepts keeps its byte limits.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard JSONLimits.depth(of: bytes) <= JSONLimits.maximumDepth,
          let document = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)),
          case .object(let fields) = document else { return 0 }
    if let request = try? CreateIntentRequest.validate(fields, h5Domain: "shop.example.com") {
        precondition(request.merchantOrderID.utf8.count <= 32, "merchant_order_id over 32 bytes")
        precondition(request.description.utf8.count <= 256, "description over 256 bytes")
        precondition(request.amount.minorUnits > 0, "non-positive amount")
        for url in [request.notifyURL, request.returnURL].compactMap({ $0 }) {
            precondition((try? MerchantURL.parse(url).normalized) == url, "a forwarded URL is not in normal form")
        }
    }
    if let refund = try? CreateRefundRequest.validate(fields) {
        precondition(refund.merchantRefundID.utf8.count <= 32, "merchant_refund_id over 32 bytes")
        _ = try? refund.amount(in: Currency(code: "HKD")!)
    }
    return 0
}
