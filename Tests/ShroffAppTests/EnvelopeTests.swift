import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import ShroffCore
import Testing

@testable import ShroffApp

/// A failure whose description carries a secret, as a careless dependency's error might.
struct LeakyError: Error, CustomStringConvertible {
    var description: String { "connection failed for password=hunter2" }
}

@Suite("Errors are mapped to the envelope in one place")
struct EnvelopeTests {
    func app(_ register: (Router<AppRequestContext>) -> Void) -> some ApplicationProtocol {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: EnvelopeMiddleware())
        register(router)
        return Application(router: router)
    }

    static func json(_ body: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any])
    }

    @Test("an unexpected error is 50000 internal_error and leaks nothing")
    func unexpectedError() async throws {
        let app = app { $0.post("boom") { _, _ -> Response in throw LeakyError() } }
        try await app.test(.router) { client in
            try await client.execute(uri: "/boom", method: .post) { response in
                #expect(response.status == .internalServerError)
                let body = try Self.json(response.body)
                #expect(body["code"] as? Int == 50000)
                #expect(body["error"] as? String == "internal_error")
                #expect(body["data"] is NSNull)
                #expect(!String(buffer: response.body).contains("hunter2"))
                #expect((body["message"] as? String)?.contains(body["rid"] as? String ?? "-") == true)
            }
        }
    }

    @Test("each gateway error kind gets its code, HTTP status and stable name", arguments: ErrorKind.allCases)
    func gatewayErrors(kind: ErrorKind) async throws {
        let app = app { $0.post("fail") { _, _ -> Response in throw GatewayError(kind, "field: rule", retryAfterSeconds: 7) } }
        try await app.test(.router) { client in
            try await client.execute(uri: "/fail", method: .post) { response in
                #expect(Int(response.status.code) == kind.httpStatus)
                let body = try Self.json(response.body)
                #expect(body["code"] as? Int == kind.code)
                #expect(body["error"] as? String == kind.rawValue)
                #expect(body["message"] as? String == "field: rule")
                #expect(response.headers[.retryAfter] == "7")
                #expect(response.headers[HTTPField.Name("x-request-id")!] == body["rid"] as? String)
            }
        }
    }

    @Test("the error table of the contract")
    func errorTable() {
        let table: [(ErrorKind, Int, Int, String)] = [
            (.invalidRequest, 40000, 400, "invalid_request"),
            (.invalidParameter, 40001, 400, "invalid_parameter"),
            (.unauthorized, 40100, 401, "unauthorized"),
            (.notFound, 40400, 404, "not_found"),
            (.duplicateRequest, 40900, 409, "duplicate_request"),
            (.invalidState, 40901, 409, "invalid_state"),
            (.rejected, 42200, 422, "rejected"),
            (.rateLimited, 42900, 429, "rate_limited"),
            (.internalError, 50000, 500, "internal_error"),
            (.providerUnavailable, 50300, 503, "provider_unavailable"),
        ]
        #expect(table.count == ErrorKind.allCases.count)
        for (kind, code, status, name) in table {
            #expect(kind.code == code)
            #expect(kind.httpStatus == status)
            #expect(kind.rawValue == name)
        }
    }

    @Test("an unknown path is 40400 in the envelope")
    func unknownPath() async throws {
        let app = app { _ in }
        try await app.test(.router) { client in
            try await client.execute(uri: "/mch-api/v1/nothing", method: .post) { response in
                #expect(response.status == .notFound)
                let body = try Self.json(response.body)
                #expect(body["code"] as? Int == 40400)
            }
        }
    }
}
