import Foundation
import Logging
import Synchronization
import Testing

@testable import ShroffObservability

@Suite("JSON logs")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    @Test("one JSON object a line, with level, message, component and every metadata field")
    func oneObjectPerLine() throws {
        let sink = Lines()
        var logger = Logger(label: "shroff") { JSONLogHandler(label: $0, write: sink.append) }
        logger[metadataKey: "rid"] = "0123abcd"
        logger.info("request", metadata: ["merchant_uid": "12009321", "order_id": "C17", "status": .stringConvertible(200)])
        logger.warning("odd \"text\"\nwith a\u{0001}control", metadata: ["component": "webhooks"])
        let lines = sink.lines.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().contains("\n") == false })
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["level"] as? String == "info")
        #expect(first["message"] as? String == "request")
        #expect(first["component"] as? String == "shroff")
        #expect(first["rid"] as? String == "0123abcd")
        #expect(first["merchant_uid"] as? String == "12009321")
        #expect(first["order_id"] as? String == "C17")
        #expect(first["status"] as? String == "200")
        #expect((first["time"] as? String)?.hasSuffix("Z") == true)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(second["message"] as? String == "odd \"text\"\nwith a\u{0001}control")
        #expect(second["component"] as? String == "webhooks")
    }
}
