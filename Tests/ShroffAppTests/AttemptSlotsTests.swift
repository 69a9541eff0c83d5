import Testing
@testable import ShroffBackground

/// How many attempts an endpoint may have at once: narrow at first, wider while it accepts quickly.
@Suite("Webhook attempt slots")
struct AttemptSlotsTests {
    let endpoint = WebhookEndpoint(url: "https://shop.example/hooks")
    let url = "https://shop.example/hooks"

    func slots(capacity: Int = 10_000) -> AttemptSlots {
        AttemptSlots(caps: .init(total: 64, perMerchant: 64, perEndpoint: 2, perQuickEndpoint: 5, quickEndpointCapacity: capacity))
    }

    /// Reserves as many slots as the endpoint allows now, then releases them with `outcome`.
    func fill(_ slots: AttemptSlots, releasingWith outcome: Duration?) -> Int {
        var taken = 0
        while slots.reserve(merchantUID: 1, endpoint: endpoint, url: url) { taken += 1 }
        for _ in 0..<taken { slots.release(merchantUID: 1, endpoint: endpoint, url: url, acceptedWithin: outcome) }
        return taken
    }

    @Test("a new endpoint gets 2 at once; each quick acceptance one more, up to the cap")
    func widens() {
        let slots = slots()
        #expect(fill(slots, releasingWith: .milliseconds(5)) == 2)
        #expect(slots.endpointCap(endpoint) == 4)
        #expect(fill(slots, releasingWith: .milliseconds(5)) == 4)
        #expect(slots.endpointCap(endpoint) == 5)
        #expect(fill(slots, releasingWith: .milliseconds(5)) == 5)
        #expect(slots.count == 0)
    }

    @Test("a slow acceptance, or any failure, narrows the endpoint to 2 again")
    func narrows() {
        let slots = slots()
        _ = fill(slots, releasingWith: .milliseconds(5))
        #expect(slots.endpointCap(endpoint) == 4)
        #expect(fill(slots, releasingWith: .seconds(2)) == 4)
        #expect(slots.endpointCap(endpoint) == 2)
        _ = fill(slots, releasingWith: .milliseconds(5))
        #expect(fill(slots, releasingWith: nil) == 4)
        #expect(slots.endpointCap(endpoint) == 2)
    }

    @Test("the claim asks for the widened room of a busy endpoint")
    func claimRoom() {
        let slots = slots()
        _ = fill(slots, releasingWith: .milliseconds(5))
        #expect(slots.reserve(merchantUID: 1, endpoint: endpoint, url: url))
        #expect(slots.claimLimits(paused: []).urlRoom[url] == 3)
    }

    @Test("widened endpoints are remembered up to the capacity; beyond it new ones stay narrow")
    func bounded() {
        let slots = slots(capacity: 1)
        _ = fill(slots, releasingWith: .milliseconds(5))
        let other = WebhookEndpoint(url: "https://other.example/hooks")
        #expect(slots.reserve(merchantUID: 1, endpoint: other, url: "https://other.example/hooks"))
        slots.release(merchantUID: 1, endpoint: other, url: "https://other.example/hooks", acceptedWithin: .milliseconds(5))
        #expect(slots.endpointCap(other) == 2)
        #expect(slots.endpointCap(endpoint) == 4)
    }
}
