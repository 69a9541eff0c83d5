import Foundation

/// The sandbox's JSON answers, written by hand: compact, keys sorted, `/` not escaped, as
/// `JSONSerialization` with `.sortedKeys` and `.withoutEscapingSlashes` writes them, which was a
/// twentieth of a create's CPU (issue 18). The answers are dictionaries of strings, integers,
/// booleans, arrays and dictionaries; anything else goes to `JSONSerialization` as before.
enum SandboxJSON {
    static func bytes(_ object: [String: Any]) -> [UInt8] {
        var writer = Writer()
        if writer.write(object) { return writer.output }
        return Array((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8))
    }

    private struct Writer {
        var output: [UInt8] = []

        /// false when `value` holds a kind of value this writer does not write.
        mutating func write(_ value: Any) -> Bool {
            // Scalars by their exact type: a number read by `JSONSerialization` (an NSNumber) may
            // also cast to Bool, and is left to it.
            if type(of: value) == Bool.self, let flag = value as? Bool {
                output += flag ? Array("true".utf8) : Array("false".utf8)
                return true
            }
            if type(of: value) == Int.self, let integer = value as? Int {
                output += Array(String(integer).utf8)
                return true
            }
            if type(of: value) == Int64.self, let integer = value as? Int64 {
                output += Array(String(integer).utf8)
                return true
            }
            switch value {
            case let text as String:
                string(text)
            case let object as [String: Any]:
                output.append(UInt8(ascii: "{"))
                for (index, key) in object.keys.sorted(by: Self.precedes).enumerated() {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    string(key)
                    output.append(UInt8(ascii: ":"))
                    guard write(object[key]!) else { return false }
                }
                output.append(UInt8(ascii: "}"))
            case let array as [Any]:
                output.append(UInt8(ascii: "["))
                for (index, element) in array.enumerated() {
                    if index > 0 { output.append(UInt8(ascii: ",")) }
                    guard write(element) else { return false }
                }
                output.append(UInt8(ascii: "]"))
            default:
                return false
            }
            return true
        }

        mutating func string(_ text: String) {
            output.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): output += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): output += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0x0A: output += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0D: output += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x09: output += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case 0x08: output += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                case 0x0C: output += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                case ..<0x20:
                    output += Array("\\u00".utf8)
                    output.append(Self.hexDigits[Int(byte >> 4)])
                    output.append(Self.hexDigits[Int(byte & 0x0F)])
                default: output.append(byte)
                }
            }
            output.append(UInt8(ascii: "\""))
        }

        private static let hexDigits = Array("0123456789abcdef".utf8)

        /// The order in which `JSONSerialization`'s `.sortedKeys` writes keys on Linux (numbers by
        /// value, case ignored first, in the system locale), so the bytes stay the same.
        static func precedes(_ first: String, _ second: String) -> Bool {
            first.compare(
                second, options: [.numeric, .caseInsensitive, .forcedOrdering], range: first.startIndex..<first.endIndex,
                locale: NSLocale.system as Locale
            ) == .orderedAscending
        }
    }
}
