import Testing
@testable import ShroffCore

@Suite("GatewayError")
struct GatewayErrorTests {
    struct Row: Sendable, CustomTestStringConvertible {
        let kind: ErrorKind
        let code: Int
        let http: Int
        let name: String
        var testDescription: String { "\(code) \(http) \(name)" }
    }

    /// merchant-api.md, "Conventions".
    static let table: [Row] = [
        Row(kind: .invalidRequest, code: 40000, http: 400, name: "invalid_request"),
        Row(kind: .invalidParameter, code: 40001, http: 400, name: "invalid_parameter"),
        Row(kind: .unauthorized, code: 40100, http: 401, name: "unauthorized"),
        Row(kind: .notFound, code: 40400, http: 404, name: "not_found"),
        Row(kind: .duplicateRequest, code: 40900, http: 409, name: "duplicate_request"),
        Row(kind: .invalidState, code: 40901, http: 409, name: "invalid_state"),
        Row(kind: .rejected, code: 42200, http: 422, name: "rejected"),
        Row(kind: .rateLimited, code: 42900, http: 429, name: "rate_limited"),
        Row(kind: .internalError, code: 50000, http: 500, name: "internal_error"),
        Row(kind: .providerUnavailable, code: 50300, http: 503, name: "provider_unavailable"),
    ]

    @Test("each error kind has the spec's code, HTTP status and machine name", arguments: table)
    func row(_ row: Row) {
        #expect(row.kind.code == row.code)
        #expect(row.kind.httpStatus == row.http)
        #expect(row.kind.rawValue == row.name)
        #expect(ErrorKind(rawValue: row.name) == row.kind)
    }

    @Test("the table covers every error kind")
    func complete() {
        #expect(Set(Self.table.map(\.kind)) == Set(ErrorKind.allCases))
        #expect(ErrorKind.allCases.count == Self.table.count)
    }

    @Test("invalidParameter names the field first")
    func invalidParameterMessage() {
        let error = GatewayError.invalidParameter("payment_method.aplus.terminal_type", "is required")
        #expect(error.kind == .invalidParameter)
        #expect(error.message == "payment_method.aplus.terminal_type: is required")
        #expect(error.providerCode == nil && error.retryAfterSeconds == nil)
    }
}
