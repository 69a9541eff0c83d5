import Foundation
import ShroffCore

/// The request log's body copy (`RequestLogRedaction.body`) against Foundation: never traps; a body
/// Foundation reads as JSON within the depth limit is kept, and reads back as the same document with
/// every secret key's value replaced; whatever is kept is at most 8 KiB of valid UTF-8.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let stored = RequestLogRedaction.body(bytes)
    precondition(stored.utf8.count <= RequestLogRedaction.maximumBytes || stored.hasPrefix("[not JSON"), "kept more than 8 KiB")
    guard size > 0, size <= RequestLogRedaction.maximumBytes - 100, JSONLimits.depth(of: bytes) <= JSONLimits.maximumDepth,
          let document = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes)) else { return 0 }
    // Foundation stops reading at a NUL byte, lets bytes that are not UTF-8 through, and JSONDecoder
    // never reads the value of a key given again later (so a bad escape there passes); the copy
    // refuses all three. JSONSerialization reads every value.
    guard !bytes.contains(0), String(validating: bytes, as: UTF8.self) != nil,
          (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil else { return 0 }
    precondition(!stored.hasPrefix("[not JSON"), "refused a body Foundation reads as JSON")
    // Shorter than the limit, so not cut; it must read back as the redacted document.
    guard stored.utf8.count < RequestLogRedaction.maximumBytes - 20 else { return 0 }
    guard let again = try? JSONDecoder().decode(JSONValue.self, from: Data(stored.utf8)) else {
        preconditionFailure("kept a body that is not JSON")
    }
    precondition(again == redacted(document), "kept a different document, or a secret")
    return 0
}

func redacted(_ value: JSONValue) -> JSONValue {
    switch value {
    case .object(let fields):
        .object(fields.reduce(into: [:]) { result, field in
            result[field.key] = RequestLogRedaction.secretKeys.contains(field.key.lowercased())
                ? .string(RequestLogRedaction.redacted) : redacted(field.value)
        })
    case .array(let items): .array(items.map(redacted))
    default: value
    }
}
