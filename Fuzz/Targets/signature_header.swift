import Foundation
import ShroffConnectors

/// Percent decoding on bytes and the AMS `Signature` header parser, each against the Foundation code
/// it replaced: the same answer for every input (but one Foundation quirk), and never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    // Foundation on Linux reads a lone `%A9` (that byte only) as U+FFFD where any other byte that is
    // not UTF-8 gives nil; ours gives nil for all of them, so inputs with that escape are not compared.
    // (Compared as bytes: `%A9` followed by a combining mark is not that string to String.contains.)
    if Array(text.uppercased().utf8).firstRange(of: Array("%A9".utf8)) == nil {
        precondition(PercentDecoding.decode(text) == text.removingPercentEncoding, "percent decoding differs from Foundation's")
        precondition(
            PercentDecoding.decode(text, plusIsSpace: true) == plusAsSpace(text).removingPercentEncoding,
            "form decoding differs from Foundation's"
        )
    } else {
        _ = PercentDecoding.decode(text, plusIsSpace: true)
    }
    let parsed = AMSSignatureHeader.parse(text)
    let reference = foundationParse(text)
    precondition(
        parsed?.algorithm == reference?.algorithm && parsed?.keyVersion == reference?.keyVersion && parsed?.signature == reference?.signature,
        "the Signature header differs from Foundation's reading"
    )
    return 0
}

/// `+` as a space, scalar by scalar (Foundation's `replacingOccurrences(of: "+", with: " ")`, which the
/// form decoder used, leaves some `+` after U+FFFD in place: the first input this target kept).
func plusAsSpace(_ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: text.unicodeScalars.map { $0 == "+" ? " " : $0 })
    return String(scalars)
}

/// The header parser as it was written with Foundation.
func foundationParse(_ header: String) -> (algorithm: String, keyVersion: String?, signature: [UInt8])? {
    guard header.utf8.count <= 4096 else { return nil }
    var fields: [String: String] = [:]
    for part in header.split(separator: ",") {
        let pair = part.split(separator: "=", maxSplits: 1)
        guard pair.count == 2 else { continue }
        let key = pair[0].trimmingCharacters(in: .whitespaces)
        guard fields.updateValue(pair[1].trimmingCharacters(in: .whitespaces), forKey: key) == nil else { return nil }
    }
    guard let algorithm = fields["algorithm"], algorithm.utf8.elementsEqual("RSA256".utf8),
          let encoded = fields["signature"], let base64 = encoded.removingPercentEncoding,
          let raw = Data(base64Encoded: base64), !raw.isEmpty else { return nil }
    return (algorithm, fields["keyVersion"], Array(raw))
}
