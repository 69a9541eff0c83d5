import Foundation
import Testing

@Suite("OpenAPI document and reference page")
struct APIDocumentTests {
    @Test("the document compiled into the binary is openapi/openapi.json byte for byte (run openapi/embed after editing it)")
    func embeddedIsCommitted() async throws {
        let committed = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("openapi/openapi.json"))
        try await Running.with { server in
            let served = try await server.send(.GET, "\(server.gatewayURL)/mch-api/openapi.json")
            #expect(served.status == 200)
            #expect(Data(served.body.utf8) == committed, "openapi/OpenAPIDocument+Text.swift is stale: run openapi/embed")
        }
    }

    @Test("the document is served as YAML and JSON, documents every merchant endpoint, and /docs renders it")
    func served() async throws {
        try await Running.with { server in
            let json = try await server.send(.GET, "\(server.gatewayURL)/mch-api/openapi.json")
            #expect(json.status == 200)
            #expect(json.json["openapi"] as? String == "3.1.0")
            let paths = try #require(json.json["paths"] as? [String: [String: Any]])
            for path in [
                "/mch-api/v1/authentication/login", "/mch-api/v1/pa/payment_intents/create", "/mch-api/v1/pa/payment_intents/query",
                "/mch-api/v1/pa/payment_intents/cancel", "/mch-api/v1/pa/refunds/create", "/mch-api/v1/pa/refunds/query",
                "/mch-api/v1/webhooks/deliveries/list", "/mch-api/v1/webhooks/deliveries/resend", "/mch-api/v1/webhooks/secret/rotate",
                "/mch-api/v1/webhooks/settings/query", "/mch-api/v1/webhooks/settings/update",
            ] {
                #expect(paths[path]?["post"] != nil, "\(path) is not documented")
            }
            // Every documented operation exists on the server (no 404 for its method).
            for (path, item) in paths {
                for method in item.keys {
                    let answer = try await server.send(method == "get" ? .GET : .POST, server.gatewayURL + path)
                    #expect(answer.status != 404 && answer.status != 405, "\(method) \(path) answered \(answer.status)")
                }
            }
            let yaml = try await server.send(.GET, "\(server.gatewayURL)/mch-api/openapi.yaml")
            #expect(yaml.status == 200)
            #expect(yaml.body.hasPrefix("\"openapi\": \"3.1.0\""))
            #expect(yaml.header("content-type")?.hasPrefix("application/yaml") == true)
            let docs = try await server.send(.GET, "\(server.gatewayURL)/docs")
            #expect(docs.status == 200)
            #expect(docs.body.contains("/mch-api/v1/pa/refunds/create"))
            #expect(!docs.body.contains("<script src=") && !docs.body.contains("https://"))
        }
    }

    @Test("a wrong method on a documented path is 405 with Allow")
    func wrongMethod() async throws {
        try await Running.with { server in
            let answer = try await server.send(.GET, "\(server.gatewayURL)/mch-api/v1/pa/payment_intents/create")
            #expect(answer.status == 405)
            #expect(answer.header("allow") == "POST")
            #expect(answer.code == 40000)
        }
    }
}
