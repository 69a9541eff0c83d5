/// Why a settlement file was refused, naming the line and field at fault. A file is taken whole or
/// not at all: one bad line refuses it.
public struct SettlementFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line of the file; 0 for the file as a whole (its size).
    public let line: Int
    /// The column's name as the header spells it, or `<END>`, `header`, `file`.
    public let field: String
    public let problem: String

    public init(line: Int, field: String, problem: String) {
        self.line = line
        self.field = field
        self.problem = problem
    }

    public var description: String { line == 0 ? "\(field): \(problem)" : "line \(line), \(field): \(problem)" }
}

/// The providers' settlement files as a table: UTF-8 text, one record a line (LF or CRLF), the
/// first line naming the columns. Fields may be double-quoted (`""` is a quote inside one) and
/// are trimmed of surrounding spaces (the providers' own samples pad numbers: `852.40 ,`).
/// Columns are found by name, so added columns do no harm. Pure and bounded, for fuzzing.
struct SettlementTable {
    /// A day's file of a busy merchant is a few MB; anything far larger is not a settlement file.
    static let maxFileBytes = 64 << 20
    static let maxLineBytes = 8 * 1024
    static let maxColumns = 64

    struct Row {
        let number: Int
        let fields: [String]
    }

    let header: [String]
    let rows: [Row]
    private let columns: [String: Int]

    /// Reads `bytes`. With `endMarker`, the last line (before any trailing empty lines) must be
    /// exactly that marker, which a truncated file lacks. `required` columns must all be named.
    init(_ bytes: [UInt8], endMarker: String?, required: [String], separator: UInt8 = UInt8(ascii: ",")) throws(SettlementFileError) {
        guard bytes.count <= Self.maxFileBytes else {
            throw SettlementFileError(line: 0, field: "file", problem: "larger than \(Self.maxFileBytes) bytes")
        }
        var lines = Self.lines(bytes)
        while let last = lines.last, last.bytes.isEmpty { lines.removeLast() }
        if let endMarker {
            guard let last = lines.last, last.bytes.elementsEqual(endMarker.utf8) else {
                throw SettlementFileError(line: (lines.last?.number ?? 0) + 1, field: endMarker, problem: "missing: the file is truncated")
            }
            lines.removeLast()
            if let early = lines.first(where: { $0.bytes.elementsEqual(endMarker.utf8) }) {
                throw SettlementFileError(line: early.number, field: endMarker, problem: "before the last line")
            }
        }
        guard let first = lines.first, !first.bytes.isEmpty else {
            throw SettlementFileError(line: 1, field: "header", problem: "missing: the first line must name the columns")
        }
        let header = try Self.fields(first.bytes, number: first.number, separator: separator, names: [])
        guard header.count <= Self.maxColumns else {
            throw SettlementFileError(line: first.number, field: "header", problem: "more than \(Self.maxColumns) columns")
        }
        var columns: [String: Int] = [:]
        for (index, name) in header.enumerated() {
            guard !name.isEmpty, columns.updateValue(index, forKey: name.lowercased()) == nil else {
                throw SettlementFileError(line: first.number, field: "header", problem: "column \(index + 1) is empty or named twice")
            }
        }
        for name in required where columns[name.lowercased()] == nil {
            throw SettlementFileError(line: first.number, field: name, problem: "column missing from the header")
        }
        var rows: [Row] = []
        for line in lines.dropFirst() {
            var fields = try Self.fields(line.bytes, number: line.number, separator: separator, names: header)
            // The providers' own sample ends some lines with one extra, empty field.
            if fields.count == header.count + 1, fields.last == "" { fields.removeLast() }
            guard fields.count == header.count else {
                throw SettlementFileError(
                    line: line.number, field: "columns", problem: "\(fields.count) fields where the header names \(header.count)"
                )
            }
            rows.append(Row(number: line.number, fields: fields))
        }
        self.header = header
        self.rows = rows
        self.columns = columns
    }

    /// The field of `row` in column `name` (matched ignoring case); "" when the file has no such column.
    func text(_ row: Row, _ name: String) -> String {
        columns[name.lowercased()].map { row.fields[$0] } ?? ""
    }

    /// The header's spelling of a column (for error messages), or `name` when absent.
    func spelling(_ name: String) -> String {
        columns[name.lowercased()].map { header[$0] } ?? name
    }

    private static func lines(_ bytes: [UInt8]) -> [(number: Int, bytes: ArraySlice<UInt8>)] {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var lines: [(number: Int, bytes: ArraySlice<UInt8>)] = []
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            var line = bytes[start..<end]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append((lines.count + 1, line))
            start = end + 1
        }
        return lines
    }

    private static func fields(
        _ line: ArraySlice<UInt8>, number: Int, separator: UInt8, names: [String]
    ) throws(SettlementFileError) -> [String] {
        func name(_ index: Int) -> String { index < names.count ? names[index] : "column \(index + 1)" }
        guard line.count <= maxLineBytes else {
            throw SettlementFileError(line: number, field: "line", problem: "longer than \(maxLineBytes) bytes")
        }
        let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), quote = UInt8(ascii: "\"")
        var fields: [String] = []
        var index = line.startIndex
        while true {
            while index < line.endIndex, line[index] == space || line[index] == tab { index += 1 }
            var raw: [UInt8] = []
            if index < line.endIndex, line[index] == quote {
                index += 1
                while true {
                    guard index < line.endIndex else {
                        throw SettlementFileError(line: number, field: name(fields.count), problem: "unterminated quote")
                    }
                    if line[index] == quote {
                        if index + 1 < line.endIndex, line[index + 1] == quote {
                            raw.append(quote)
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    raw.append(line[index])
                    index += 1
                }
                while index < line.endIndex, line[index] == space || line[index] == tab { index += 1 }
                guard index == line.endIndex || line[index] == separator else {
                    throw SettlementFileError(line: number, field: name(fields.count), problem: "text after the closing quote")
                }
            } else {
                while index < line.endIndex, line[index] != separator { raw.append(line[index]); index += 1 }
                while let last = raw.last, last == space || last == tab { raw.removeLast() }
            }
            guard !raw.contains(where: { $0 < 0x20 || $0 == 0x7F }), let text = String(validating: raw, as: UTF8.self) else {
                throw SettlementFileError(line: number, field: name(fields.count), problem: "not UTF-8 text without control characters")
            }
            fields.append(text)
            guard fields.count <= maxColumns + 1 else {
                throw SettlementFileError(line: number, field: "columns", problem: "more than \(maxColumns) fields")
            }
            guard index < line.endIndex else { return fields }
            index += 1  // the separator
        }
    }
}
