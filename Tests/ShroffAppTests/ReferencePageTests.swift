import Foundation
import ShroffCore
import Testing

@testable import ShroffApp

@Suite("Reference page and YAML of the OpenAPI document")
struct ReferencePageTests {
    @Test("the webhook events are listed with their headers and data fields, and the YAML has them after the paths")
    func webhooksRendered() throws {
        let document = try APIDocument.load().document
        let html = ReferencePage.render(document)
        #expect(html.contains(##"<a href="#webhooks">webhook events</a>"##))
        for event in ["payment_success", "payment_cancelled", "refund_success", "refund_failed"] {
            #expect(html.contains(##"<li><a href="#webhook-\##(event)"><code>\##(event)</code></a>"##), "\(event) is not listed")
            #expect(html.contains(#"<div class="op" id="webhook-\#(event)">"#), "\(event) is not described")
        }
        #expect(html.contains("<code>webhook-signature</code>"))
        #expect(html.contains("<code>refund_status</code> <b>required</b>"))
        let yaml = YAMLWriter.write(document)
        let paths = try #require(yaml.range(of: "\n\"paths\":\n"))
        let webhooks = try #require(yaml.range(of: "\n\"webhooks\":\n"))
        let components = try #require(yaml.range(of: "\n\"components\":\n"))
        #expect(paths.lowerBound < webhooks.lowerBound && webhooks.lowerBound < components.lowerBound)
    }

    @Test("a document without webhooks renders without a webhooks section or link")
    func noWebhooks() throws {
        guard case .object(var root) = try APIDocument.load().document else { Issue.record("the document is not an object"); return }
        root["webhooks"] = nil
        let html = ReferencePage.render(.object(root))
        #expect(!html.contains("webhook events") && !html.contains(#"id="webhooks""#))
        #expect(html.contains("/mch-api/v1/pa/refunds/create"))
    }
}
