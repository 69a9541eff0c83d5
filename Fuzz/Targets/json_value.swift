import Foundation
import ShroffCore

/// The reader of the merchant API's request bodies (`JSONValue.decode`, by hand with `JSONDecoder`
/// behind it) against `JSONDecoder` alone: never traps, and reads every body within the depth limit
/// as the same document, or refuses it as `JSONDecoder` does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard JSONLimits.depth(of: bytes) <= JSONLimits.maximumDepth else { return 0 }
    let read = try? JSONValue.decode(bytes)
    let foundation = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    precondition(read == foundation, "read \(String(describing: read)), Foundation \(String(describing: foundation))")
    return 0
}
