import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `/gateway.do`: parsing, authentication, fault injection and dispatch to the service handlers.
extension SandboxWAPGateway {
    /// A refusal: `code` as the gateway writes it, the parameter at fault when there is one.
    struct Failure: Error {
        let code: String
        let parameter: String?
        let message: String

        init(_ code: String, parameter: String? = nil, _ message: String) {
            self.code = code
            self.parameter = parameter
            self.message = message
        }
    }

    func gateway(_ request: Request) async throws -> Response {
        var text = request.uri.query ?? ""
        if request.method == .post {
            let contentType = request.headers[.contentType]?.lowercased() ?? "application/x-www-form-urlencoded"
            let body = try await request.body.collect(upTo: 1 << 20)
            if contentType.hasPrefix("application/x-www-form-urlencoded") {
                text += "&" + String(buffer: body)
            }
        }
        guard let parsed = WAPSigning.parseForm(Substring(text)) else {
            return Self.xmlFailure(Failure("ILLEGAL_ARGUMENT", "The parameters are not valid URL encoding."))
        }
        let parameters = parsed.fields
        let service = parameters["service"] ?? ""
        do {
            if let duplicate = parsed.duplicate {
                throw Failure("ILLEGAL_ARGUMENT", parameter: duplicate, "The parameter is given more than once.")
            }
            guard !service.isEmpty else { throw Failure("ILLEGAL_ARGUMENT", parameter: "service", "The parameter is required.") }
            guard Self.services.contains(service) else { throw Failure("ILLEGAL_SERVICE", "The service is not available.") }
            if service == "notify_verify" { return Self.text(await notifyVerify(parameters) ? "true" : "false") }
            let (partner, signType) = try authenticate(parameters, service: service)
            if service != "create_forex_trade_wap", let injected = await faults.take(service) {
                switch injected.fault {
                case .latency: try? await Task.sleep(for: injected.latency)
                case .http500: return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "injected fault")))
                case .connectionReset: return SandboxProvider.droppedConnection()
                case .unknownResult: throw Failure("SYSTEM_ERROR", "Injected fault: the gateway is busy; nothing was done.")
                case .suppress, .duplicate: break
                }
            }
            switch service {
            case "create_forex_trade_wap": return try await create(parameters, partner: partner, signType: signType)
            case "single_trade_query": return try await query(parameters, partner: partner)
            case "close_trade": return try await close(parameters, partner: partner)
            default: return try await refund(parameters, partner: partner)
            }
        } catch let failure as Failure {
            if failure.code == "ILLEGAL_SIGN" {
                logger.warning("sandbox WAP gateway refused a request with a bad signature", metadata: [
                    "service": "\(service.prefix(40))", "partner": "\(parameters["partner"]?.prefix(32) ?? "-")",
                ])
            }
            return service == "create_forex_trade_wap" ? Self.errorPage(failure) : Self.xmlFailure(failure)
        }
    }

    /// Partner, charset, sign type and the signature itself.
    func authenticate(_ parameters: [String: String], service: String) throws -> (partner: String, signType: WAPSigning.SignType) {
        guard let partner = parameters["partner"], let keys = partners[partner] else {
            throw Failure("ILLEGAL_PARTNER", "The partner is not known to this gateway.")
        }
        if let charset = parameters["_input_charset"] {
            guard charset.lowercased() == "utf-8" else { throw Failure("ILLEGAL_CHARSET", "Only UTF-8 is supported.") }
        } else if service == "create_forex_trade_wap" {
            throw Failure("ILLEGAL_ARGUMENT", parameter: "_input_charset", "The parameter is required.")
        }
        guard let signType = parameters["sign_type"].flatMap({ WAPSigning.SignType(rawValue: $0.uppercased()) }) else {
            throw Failure("ILLEGAL_SIGN_TYPE", "sign_type must be MD5 or RSA2.")
        }
        guard let sign = parameters["sign"], !sign.isEmpty else { throw Failure("ILLEGAL_SIGN", "The request is not signed.") }
        let valid: Bool
        switch signType {
        case .md5:
            guard let key = keys.md5Key else { throw Failure("ILLEGAL_SIGN_TYPE", "The partner has no MD5 key.") }
            valid = WAPSigning.md5Verify(parameters, sign: sign, key: key)
        case .rsa2:
            guard let key = keys.rsaPublicKey else { throw Failure("ILLEGAL_SIGN_TYPE", "The partner has no RSA public key.") }
            valid = WAPSigning.rsa2Verify(parameters, sign: sign, key: key)
        }
        guard valid else { throw Failure("ILLEGAL_SIGN", "The signature does not match the parameters.") }
        return (partner, signType)
    }
}
