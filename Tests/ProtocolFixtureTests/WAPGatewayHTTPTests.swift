import Foundation
import Logging
@testable import ShroffConnectors
import ShroffCore
@testable import ShroffSandbox
import Testing

/// The sandbox WAP gateway (providers.md §2) over real HTTP: the recorded request, full flows for
/// both sign types, refusals, close and refund rules, magic amounts; and the gateway's own WAP
/// connector against it.
@Suite("WAP gateway over HTTP")
struct WAPGatewayHTTPTests {
    static let signTypes = ["MD5", "RSA2"]

    // MARK: The recorded request

    @Test("the recorded create_forex_trade_wap request, with its recorded sign, shows the AlipayHK wallet page", arguments: signTypes)
    func recordedRequest(signType: String) async throws {
        try await WAPServer.with { server in
            var parameters = try WAPFixture.parameters("create_request")
            parameters["sign"] = try WAPFixture.sign("create_request", signType)
            parameters["sign_type"] = signType
            let page = try await server.get(parameters)
            #expect(page.status == 200)
            #expect(page.header("content-type")?.hasPrefix("text/html") == true)
            #expect(page.pageErrorCode == nil, "\(page.pageErrorCode ?? "")")
            #expect(page.text.contains(#"<p class="amount" id="amount">HKD 10.50</p>"#))
            #expect(page.text.contains("AlipayHK") && page.text.contains("#1677ff"))
            #expect(page.text.contains("Café latte ×2 咖啡"))
            #expect(page.text.contains("Fixture Café"))
            #expect(page.text.contains(#"action="/sandbox/wap/pay/ord_20240702120000_0003""#))
            for action in ["pay", "decline", "abandon"] { #expect(page.text.contains(#"value="\#(action)""#)) }
            #expect(!page.text.contains("http://") && !page.text.contains("https://"), "no external assets")
            let trade = try await server.inspect("ord_20240702120000_0003").json
            #expect(trade["status"] as? String == "WAIT_BUYER_PAY")
            #expect(trade["sign_type"] as? String == signType)
            #expect(trade["timeout_rule"] as? String == "12h")  // empty timeout_rule: the default
        }
    }

    @Test("the same request with `+` for spaces in the query (form encoding) verifies too")
    func plusForSpaces() async throws {
        try await WAPServer.with { server in
            var parameters = try WAPFixture.parameters("create_request")
            parameters["sign"] = try WAPFixture.sign("create_request", "MD5")
            parameters["sign_type"] = "MD5"
            let query = TestWAPSigner.encode(parameters).replacingOccurrences(of: "%20", with: "+")
            #expect(query.contains("body=2+cups+%26+1+cake+%3D+1%2B1+items"))
            let page = try await server.send(.GET, "/gateway.do?" + query)
            #expect(page.pageErrorCode == nil)
            #expect(page.text.contains("HKD 10.50"))
        }
    }

    @Test("the Alipay (mainland) look for payment_inst=ALIPAYCN")
    func alipayCNLook() async throws {
        try await WAPServer.with { server in
            let page = try await server.get(server.createParameters(paymentInst: "ALIPAYCN", signType: "MD5"))
            #expect(page.text.contains("支付宝") && page.text.contains("#00a0e9"))
            #expect(!page.text.contains("AlipayHK"))
        }
    }

    // MARK: Full flow

    @Test("create → page → Pay → signed notification retried until exactly `success` → notify_verify → query → refunds", arguments: signTypes)
    func fullFlow(signType: String) async throws {
        // The receiver refuses twice ("fail", then "success" with a trailing newline) before acknowledging.
        try await WAPServer.with(answers: ["fail", "success\n"]) { server in
            let outTradeNo = "ord_flow_\(signType.lowercased())"
            let page = try await server.get(server.createParameters(outTradeNo: outTradeNo, signType: signType))
            #expect(page.status == 200)
            #expect(page.text.contains("HKD 10.50"))

            // Pay: 303 back to the merchant with the signed return parameters.
            let paid = try await server.press("pay", outTradeNo: outTradeNo)
            #expect(paid.status == 303)
            let location = try #require(paid.header("location"))
            #expect(location.hasPrefix("https://m.shop.example.com/orders/1?"))
            let returned = TestWAPSigner.decode(String(location.split(separator: "?", maxSplits: 1)[1]))
            #expect(returned["from"] == "wap")
            #expect(returned["out_trade_no"] == outTradeNo)
            #expect(returned["trade_status"] == "TRADE_FINISHED")
            #expect(returned["total_fee"] == "10.50")
            #expect(returned["currency"] == "HKD")
            #expect(returned["trade_no"]?.count == 28)
            #expect(returned["sign_type"] == signType)
            #expect(try TestWAPSigner.verifyFromProvider(returned), "return parameters are signed")

            // Three posts: two refused, the third acknowledged; then no more.
            let notifications = try await server.notifications(count: 3)
            try await Task.sleep(for: .milliseconds(500))
            #expect(await server.receiver.received.count == 3)
            var notifyIDs: Set<String> = []
            for notification in notifications {
                #expect(notification.contentType?.hasPrefix("application/x-www-form-urlencoded") == true)
                let form = notification.fields
                #expect(try TestWAPSigner.verifyFromProvider(form), "notification sign: \(notification.body)")
                #expect(form["sign_type"] == signType)
                #expect(form["notify_type"] == "trade_status_sync")
                #expect(form["trade_status"] == "TRADE_FINISHED")
                #expect(form["out_trade_no"] == outTradeNo)
                #expect(form["trade_no"] == returned["trade_no"])
                #expect(form["total_fee"] == "10.50")
                #expect(form["currency"] == "HKD")
                #expect(form["payment_inst"] == "ALIPAYHK")
                #expect(form["notify_time"].flatMap(WAPClient.parseTime) != nil)
                #expect(form["gmt_payment"].flatMap(WAPClient.parseTime) != nil)
                notifyIDs.insert(try #require(form["notify_id"]))
                // A tampered copy fails the check the receiver makes.
                var tampered = form
                tampered["total_fee"] = "0.01"
                #expect(try !TestWAPSigner.verifyFromProvider(tampered))
            }
            #expect(notifyIDs.count == 3, "each attempt has its own notify_id")
            #expect(try await server.inspect(outTradeNo).json["notification_attempts"] as? Int == 3)

            // notify_verify: true for issued ids, for that partner only.
            for id in notifyIDs { #expect(try await server.notifyVerify(id) == "true") }
            #expect(try await server.notifyVerify("not-issued") == "false")
            #expect(try await server.notifyVerify(notifyIDs.first!, partner: WAPFixture.rsaOnlyPartner) == "false")

            let query = try await server.call("single_trade_query", ["out_trade_no": outTradeNo], signType: signType)
            #expect(query.status == 200)
            #expect(query.header("content-type")?.hasPrefix("text/xml") == true)
            #expect(query.text.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?><alipay><is_success>T</is_success>"#))
            #expect(query.xml("trade_status") == "TRADE_FINISHED")
            #expect(query.xml("out_trade_no") == outTradeNo)
            #expect(query.xml("trade_no") == returned["trade_no"])
            #expect(query.xml("total_fee") == "10.50")
            #expect(query.xml("currency") == "HKD")
            #expect(query.xml("gmt_payment").flatMap(WAPClient.parseTime) != nil)
            #expect(query.xml("subject") == "Café latte ×2 咖啡")
            #expect(query.xml("body") == "2 cups &amp; 1 cake = 1+1 items")

            // Refunds: 4.00, the same out_return_no again (idempotent), too much, then exactly the rest.
            func refund(_ number: String, _ amount: String, currency: String = "HKD") async throws -> WAPServer.Answer {
                try await server.call("forex_refund", [
                    "out_return_no": number, "out_trade_no": outTradeNo, "return_amount": amount, "currency": currency,
                    "gmt_return": "20240702120500", "reason": "customer asked", "product_code": "NEW_WAP_OVERSEAS_SELLER",
                ], signType: signType)
            }
            #expect(try await refund("ref_1", "4.00").xml("is_success") == "T")
            #expect(try await refund("ref_1", "4.00").xml("is_success") == "T")
            let exceed = try await refund("ref_2", "6.51")
            #expect(exceed.xml("is_success") == "F")
            #expect(exceed.xml("error") == "RETURN_AMOUNT_EXCEED")
            #expect(try await refund("ref_1", "5.00").xml("error") == "DUPLICATE_OUT_RETURN_NO")
            #expect(try await refund("ref_3", "1.00", currency: "USD").xml("error") == "CURRENCY_NOT_SAME")
            #expect(try await refund("ref_2", "6.5").xml("is_success") == "T")
            #expect(try await refund("ref_4", "0.01").xml("error") == "RETURN_AMOUNT_EXCEED")
            let trade = try await server.inspect(outTradeNo).json
            #expect(trade["refunded_amount"] as? String == "10.50")
            #expect((trade["refunds"] as? [[String: Any]])?.map { $0["out_return_no"] as? String } == ["ref_1", "ref_2"])
            #expect(try await server.call("single_trade_query", ["out_trade_no": outTradeNo], signType: signType).xml("refund_fee") == "10.50")

            // A paid trade cannot be closed.
            let close = try await server.call("close_trade", ["out_order_no": outTradeNo], signType: signType)
            #expect(close.xml("is_success") == "F")
            #expect(close.xml("error") == "TRADE_STATUS_NOT_AVAILD")
        }
    }

    @Test("the same create URL again shows the same trade; another amount for the out_trade_no is DUPLICATE_OUT_TRADE_NO")
    func idempotentCreate() async throws {
        try await WAPServer.with { server in
            let parameters = try server.createParameters(outTradeNo: "ord_same", signType: "MD5")
            _ = try await server.get(parameters)
            let first = try await server.inspect("ord_same").json["trade_no"] as? String
            let again = try await server.get(parameters)
            #expect(again.text.contains("HKD 10.50"))
            #expect(try await server.inspect("ord_same").json["trade_no"] as? String == first)
            // The same trade signed the other way is the same trade too.
            _ = try await server.get(server.createParameters(outTradeNo: "ord_same", signType: "RSA2"))
            #expect(try await server.inspect("ord_same").json["trade_no"] as? String == first)
            let other = try await server.get(server.createParameters(outTradeNo: "ord_same", totalFee: "10.60", signType: "MD5"))
            #expect(other.status == 200)
            #expect(other.pageErrorCode == "DUPLICATE_OUT_TRADE_NO")
            #expect(other.pageErrorParameter == "out_trade_no")
            // Once paid, the same URL shows the outcome, not the pay buttons.
            _ = try await server.simulate("ord_same", "success")
            let done = try await server.get(parameters)
            #expect(done.text.contains("TRADE_FINISHED") && !done.text.contains(#"value="pay""#))
        }
    }

    // MARK: Refusals

    @Test("tampered create requests are refused on an HTTP 200 error page: ILLEGAL_SIGN, and nothing is recorded", arguments: signTypes)
    func tamperedCreate(signType: String) async throws {
        try await WAPServer.with { server in
            let parameters = try server.createParameters(outTradeNo: "ord_tampered", signType: signType)
            for (key, value) in [("total_fee", "0.01"), ("currency", "USD"), ("notify_url", "https://evil.example.org/n"), ("subject", "Free")] {
                var tampered = parameters
                tampered[key] = value
                let page = try await server.get(tampered)
                #expect(page.status == 200)
                #expect(page.pageErrorCode == "ILLEGAL_SIGN", "\(key)")
            }
            var added = parameters
            added["timeout_rule"] = "1d"
            #expect(try await server.get(added).pageErrorCode == "ILLEGAL_SIGN")
            var unsigned = parameters
            unsigned["sign"] = nil
            #expect(try await server.get(unsigned).pageErrorCode == "ILLEGAL_SIGN")
            var otherType = parameters
            otherType["sign_type"] = signType == "MD5" ? "RSA2" : "MD5"
            #expect(try await server.get(otherType).pageErrorCode == "ILLEGAL_SIGN")
            var badType = parameters
            badType["sign_type"] = "SHA1"
            #expect(try await server.get(badType).pageErrorCode == "ILLEGAL_SIGN_TYPE")
            #expect(try await server.inspect("ord_tampered").status == 404)
        }
    }

    @Test("an RSA2 request signed with another key is ILLEGAL_SIGN; MD5 for a partner without an MD5 key is ILLEGAL_SIGN_TYPE")
    func wrongKeys() async throws {
        try await WAPServer.with { server in
            var parameters = try server.createParameters(signType: "RSA2")
            parameters["sign"] = try TestWAPSigner.rsa2(parameters, key: Fixture.Party.provider.privateKey())
            #expect(try await server.get(parameters).pageErrorCode == "ILLEGAL_SIGN")
            var rsaOnly = try server.createParameters(signType: "MD5")
            rsaOnly["partner"] = WAPFixture.rsaOnlyPartner
            rsaOnly = try TestWAPSigner.signed(rsaOnly, "MD5")
            #expect(try await server.get(rsaOnly).pageErrorCode == "ILLEGAL_SIGN_TYPE")
        }
    }

    @Test("unknown partner → ILLEGAL_PARTNER; missing or invalid parameters → ILLEGAL_ARGUMENT naming the parameter")
    func invalidCreate() async throws {
        try await WAPServer.with { server in
            var unknown = try server.createParameters(signType: "MD5")
            unknown["partner"] = "2088000000000000"
            #expect(try await server.get(TestWAPSigner.signed(unknown, "MD5")).pageErrorCode == "ILLEGAL_PARTNER")

            let cases: [(key: String, value: String?, parameter: String)] = [
                ("out_trade_no", nil, "out_trade_no"), ("notify_url", nil, "notify_url"), ("currency", nil, "currency"),
                ("total_fee", nil, "total_fee"), ("product_code", nil, "product_code"), ("payment_inst", nil, "payment_inst"),
                ("_input_charset", nil, "_input_charset"),
                ("out_trade_no", String(repeating: "a", count: 65), "out_trade_no"), ("out_trade_no", "a b", "out_trade_no"),
                ("total_fee", "10.505", "total_fee"), ("total_fee", "0", "total_fee"), ("total_fee", "-1", "total_fee"),
                ("currency", "XYZ", "currency"), ("product_code", "FAST_INSTANT_TRADE_PAY", "product_code"),
                ("payment_inst", "WECHATPAY", "payment_inst"), ("timeout_rule", "7m", "timeout_rule"),
                ("notify_url", "not a url", "notify_url"), ("return_url", "ftp://x.example/", "return_url"),
            ]
            for item in cases {
                var parameters = try server.createParameters(signType: "MD5")
                parameters[item.key] = item.value
                let page = try await server.get(TestWAPSigner.signed(parameters, "MD5"))
                #expect(page.status == 200)
                #expect(page.pageErrorCode == "ILLEGAL_ARGUMENT", "\(item.key)=\(item.value ?? "nil")")
                #expect(page.pageErrorParameter == item.parameter, "\(item.key)=\(item.value ?? "nil")")
            }
            var jpy = try server.createParameters(totalFee: "1050", currency: "JPY", signType: "MD5")
            #expect(try await server.get(jpy).text.contains("JPY 1050"))
            jpy = try server.createParameters(totalFee: "10.50", currency: "JPY", signType: "MD5")
            #expect(try await server.get(jpy).pageErrorParameter == "total_fee")
            var latin1 = try server.createParameters(signType: "MD5")
            latin1["_input_charset"] = "GBK"
            #expect(try await server.get(TestWAPSigner.signed(latin1, "MD5")).pageErrorCode == "ILLEGAL_CHARSET")
        }
    }

    @Test("server-to-server calls: tampered → XML ILLEGAL_SIGN; unknown service, partner; POST form body works", arguments: signTypes)
    func serverCalls(signType: String) async throws {
        try await WAPServer.with { server in
            _ = try await server.get(server.createParameters(outTradeNo: "ord_s2s", signType: signType))
            var signed = try TestWAPSigner.signed(
                ["service": "single_trade_query", "partner": WAPFixture.partner, "_input_charset": "UTF-8", "out_trade_no": "ord_s2s"], signType
            )
            let ok = try await server.get(signed)
            #expect(ok.xml("is_success") == "T")
            #expect(ok.xml("trade_status") == "WAIT_BUYER_PAY")
            signed["out_trade_no"] = "ord_other"
            let tampered = try await server.get(signed)
            #expect(tampered.text == #"<?xml version="1.0" encoding="UTF-8"?><alipay><is_success>F</is_success><error>ILLEGAL_SIGN</error></alipay>"#)
            signed["out_trade_no"] = "ord_s2s"
            let posted = try await server.send(.POST, "/gateway.do", contentType: "application/x-www-form-urlencoded",
                                               body: TestWAPSigner.encode(signed))
            #expect(posted.xml("trade_status") == "WAIT_BUYER_PAY")
            // Parameters split between the query and the body are one request.
            let split = try await server.send(.POST, "/gateway.do?_input_charset=UTF-8", contentType: "application/x-www-form-urlencoded",
                                              body: TestWAPSigner.encode(signed.filter { $0.key != "_input_charset" }))
            #expect(split.xml("is_success") == "T")
            let duplicated = try await server.send(.GET, "/gateway.do?\(TestWAPSigner.encode(signed))&out_trade_no=ord_other")
            #expect(duplicated.xml("error") == "ILLEGAL_ARGUMENT")
            #expect(try await server.call("no_such_service", [:], signType: signType).xml("error") == "ILLEGAL_SERVICE")
            #expect(try await server.call("single_trade_query", ["out_trade_no": "ord_s2s"], signType: signType, partner: "2088999999999999").xml("error") == "ILLEGAL_PARTNER")
            #expect(try await server.call("single_trade_query", ["out_trade_no": "nope"], signType: signType).xml("error") == "TRADE_NOT_EXIST")
            #expect(try await server.call("single_trade_query", [:], signType: signType).xml("error") == "ILLEGAL_ARGUMENT")
        }
    }

    // MARK: close_trade, decline, abandon, refunds of unpaid trades

    @Test("close_trade: waiting → closed (T), closed again → T, unknown → TRADE_NOT_EXIST; then the page and simulate see it closed")
    func closeRules() async throws {
        try await WAPServer.with { server in
            _ = try await server.get(server.createParameters(outTradeNo: "ord_close", signType: "MD5"))
            let closed = try await server.call("close_trade", ["out_order_no": "ord_close"], signType: "MD5")
            #expect(closed.text.hasPrefix(#"<?xml version="1.0" encoding="UTF-8"?><alipay><is_success>T</is_success>"#))
            #expect(try await server.call("close_trade", ["out_order_no": "ord_close"], signType: "RSA2").xml("is_success") == "T")
            let query = try await server.call("single_trade_query", ["out_trade_no": "ord_close"], signType: "MD5")
            #expect(query.xml("trade_status") == "TRADE_CLOSED")
            #expect(query.xml("gmt_close").flatMap(WAPClient.parseTime) != nil)
            #expect(try await server.inspect("ord_close").json["close_reason"] as? String == "MERCHANT_CLOSED")
            let unknown = try await server.call("close_trade", ["out_order_no": "ord_unknown"], signType: "MD5")
            #expect(unknown.xml("is_success") == "F")
            #expect(unknown.xml("error") == "TRADE_NOT_EXIST")
            #expect(try await server.call("close_trade", [:], signType: "MD5").xml("error") == "ILLEGAL_ARGUMENT")
            // Pressing Pay on a closed trade shows its outcome; simulate refuses; nobody is notified.
            let page = try await server.press("pay", outTradeNo: "ord_close")
            #expect(page.status == 200 && page.text.contains("TRADE_CLOSED"))
            let simulated = try await server.simulate("ord_close", "success")
            #expect(simulated.status == 409)
            #expect((simulated.json["error"] as? [String: Any])?["code"] as? String == "invalid_state")
            let refund = try await server.call("forex_refund", [
                "out_return_no": "r1", "out_trade_no": "ord_close", "return_amount": "1.00", "currency": "HKD", "gmt_return": "20240702120500",
            ], signType: "MD5")
            #expect(refund.xml("error") == "TRADE_STATUS_NOT_AVAILD")
            let unknownRefund = try await server.call("forex_refund", [
                "out_return_no": "r2", "out_trade_no": "ord_unknown", "return_amount": "1.00", "currency": "HKD", "gmt_return": "20240702120500",
            ], signType: "MD5")
            #expect(unknownRefund.xml("error") == "TRADE_NOT_EXIST")
            try await Task.sleep(for: .milliseconds(200))
            #expect(await server.receiver.received.isEmpty)
        }
    }

    @Test("close_trade by trade_no; a waiting trade cannot be refunded")
    func closeByTradeNo() async throws {
        try await WAPServer.with { server in
            _ = try await server.get(server.createParameters(outTradeNo: "ord_tn", signType: "RSA2"))
            let tradeNo = try #require(try await server.inspect("ord_tn").json["trade_no"] as? String)
            let refund = try await server.call("forex_refund", [
                "out_return_no": "r1", "out_trade_no": "ord_tn", "return_amount": "1.00", "currency": "HKD", "gmt_return": "20240702120500",
            ], signType: "RSA2")
            #expect(refund.xml("error") == "TRADE_STATUS_NOT_AVAILD")
            #expect(try await server.call("close_trade", ["trade_no": tradeNo], signType: "RSA2").xml("is_success") == "T")
            #expect(try await server.inspect("ord_tn").json["status"] as? String == "TRADE_CLOSED")
        }
    }

    @Test("Decline closes the trade and notifies TRADE_CLOSED; Abandon changes nothing and notifies nobody", arguments: signTypes)
    func declineAndAbandon(signType: String) async throws {
        try await WAPServer.with { server in
            _ = try await server.get(server.createParameters(outTradeNo: "ord_abandon", signType: signType))
            let abandoned = try await server.press("abandon", outTradeNo: "ord_abandon")
            #expect(abandoned.status == 200 && abandoned.text.contains("Abandoned"))
            #expect(try await server.inspect("ord_abandon").json["status"] as? String == "WAIT_BUYER_PAY")

            _ = try await server.get(server.createParameters(outTradeNo: "ord_decline", signType: signType))
            let declined = try await server.press("decline", outTradeNo: "ord_decline")
            #expect(declined.status == 200 && declined.text.contains("TRADE_CLOSED"))
            let notification = try #require(try await server.notifications(count: 1).first)
            let form = notification.fields
            #expect(form["out_trade_no"] == "ord_decline")
            #expect(form["trade_status"] == "TRADE_CLOSED")
            #expect(form["gmt_payment"] == nil)
            #expect(try TestWAPSigner.verifyFromProvider(form))
            try await Task.sleep(for: .milliseconds(200))
            #expect(await server.receiver.received.count == 1)
            // A declined trade can be closed again (T) but never paid.
            #expect(try await server.call("close_trade", ["out_order_no": "ord_decline"], signType: signType).xml("is_success") == "T")
            #expect(try await server.simulate("ord_decline", "success").status == 409)
        }
    }

    @Test("Pay without a return_url shows a done page; simulate drives trades like the buttons")
    func simulateAndNoReturnURL() async throws {
        try await WAPServer.with { server in
            _ = try await server.get(server.createParameters(outTradeNo: "ord_noreturn", returnURL: nil, signType: "MD5"))
            let done = try await server.press("pay", outTradeNo: "ord_noreturn")
            #expect(done.status == 200)
            #expect(done.text.contains("Done."))
            _ = try await server.get(server.createParameters(outTradeNo: "ord_sim", signType: "MD5"))
            let simulated = try await server.simulate("ord_sim", "cancel")
            #expect(simulated.status == 200)
            #expect(simulated.json["status"] as? String == "TRADE_CLOSED")
            #expect(simulated.json["close_reason"] as? String == "BUYER_CANCELLED")
            #expect(try await server.simulate("ord_missing", "success").status == 404)
            #expect(try await server.simulate("ord_sim", "maybe").status == 400)
            // The Swift entry point answers the same.
            _ = try await server.get(server.createParameters(outTradeNo: "ord_sim2", signType: "MD5"))
            let direct = await server.gateway.simulate(outTradeNo: "ord_sim2", outcome: "success")
            #expect(direct.status == 200)
            #expect(direct.json["status"] as? String == "TRADE_FINISHED")
            let notified = try await server.notifications(count: 3).map { $0.fields["out_trade_no"] }
            #expect(Set(notified) == ["ord_noreturn", "ord_sim", "ord_sim2"])
        }
    }

    // MARK: Magic amounts

    @Test("magic amounts: …51 declined (TRADE_CLOSED, notified), …53 paid but never notified, …52/…54 refused at create")
    func magicAmounts() async throws {
        try await WAPServer.with { server in
            _ = try await server.get(server.createParameters(outTradeNo: "ord_m51", totalFee: "10.51", signType: "MD5"))
            let declined = try await server.press("pay", outTradeNo: "ord_m51")
            #expect(declined.status == 200 && declined.text.contains("TRADE_CLOSED"))
            #expect(try await server.inspect("ord_m51").json["close_reason"] as? String == "USER_BALANCE_NOT_ENOUGH")
            let notification = try #require(try await server.notifications(count: 1).first)
            #expect(notification.fields["trade_status"] == "TRADE_CLOSED")

            _ = try await server.get(server.createParameters(outTradeNo: "ord_m53", totalFee: "10.53", signType: "MD5"))
            #expect(try await server.press("pay", outTradeNo: "ord_m53").status == 303)
            #expect(try await server.call("single_trade_query", ["out_trade_no": "ord_m53"], signType: "MD5").xml("trade_status") == "TRADE_FINISHED")
            try await Task.sleep(for: .milliseconds(300))
            #expect(await server.receiver.received.count == 1)

            let busy = try await server.get(server.createParameters(outTradeNo: "ord_m52", totalFee: "10.52", signType: "MD5"))
            #expect(busy.pageErrorCode == "SYSTEM_ERROR")
            #expect(try await server.call("single_trade_query", ["out_trade_no": "ord_m52"], signType: "MD5").xml("error") == "TRADE_NOT_EXIST")
            let risky = try await server.get(server.createParameters(outTradeNo: "ord_m54", totalFee: "5054", currency: "KRW", signType: "MD5"))
            #expect(risky.pageErrorCode == "RISK_REJECT")
        }
    }

    // MARK: The gateway's connector against the sandbox

    @Test("the gateway's WAPClient against the sandbox: redirect URL, notification, notify_verify, query, refund, cancel", arguments: signTypes)
    func connector(signType: String) async throws {
        try await WAPServer.with { server in
            let signTypeValue: WAPSignType = signType == "MD5"
                ? .md5(key: try WAPFixture.md5Key())
                : .rsa2(merchantPrivateKey: try Fixture.Party.merchant.privateKey(), providerPublicKey: try Fixture.Party.provider.publicKey())
            let client = WAPClient(
                configuration: WAPConfiguration(
                    gatewayURL: server.gatewayURL, partner: WAPFixture.partner, signType: signTypeValue,
                    notifyURL: server.notifyURL, defaultReturnURL: "https://m.shop.example.com/complete",
                    checkoutLinks: WAPCheckoutLinks(baseURL: "https://pay.example.com", key: Array(repeating: 7, count: 32))
                ),
                logger: Fixture.logger
            )
            let now = Date()
            let intent = PaymentIntent(
                orderID: "ord_connector_\(signType.lowercased())", merchantUID: 42, merchantOrderID: "M-3", amount: Money(minorUnits: 1050, currency: Currency(code: "HKD")!),
                description: "Café latte ×2 咖啡", notifyURL: nil, returnURL: nil,
                method: PaymentMethodSpec(channel: .alipayhk, flow: .mobileWeb, wallet: "ALIPAYCN"),
                createTime: now, expiresAt: now.addingTimeInterval(900), requestFingerprint: "fixture"
            )
            guard case .awaitingShopper(let action, _) = try await client.startPayment(ProviderPaymentRequest(intent: intent, merchantName: "Shop")) else {
                Issue.record("startPayment did not ask for the shopper")
                return
            }
            // The merchant gets the gateway's checkout link; the WAP URL is signed when the shopper follows it.
            #expect(action.url.hasPrefix("https://pay.example.com/checkout/h5/\(intent.orderID)?sig="))
            // 15 minutes remain: the longest rule within them is 15m; with 14:59 left it is 10m; under 5 minutes, none.
            let link = try #require(try client.tradeLink(for: intent, now: now))
            #expect(link.closesAt == now.addingTimeInterval(900))
            #expect(try client.tradeLink(for: intent, now: now.addingTimeInterval(1))?.url.contains("timeout_rule=10m") == true)
            #expect(try client.tradeLink(for: intent, now: now.addingTimeInterval(601)) == nil)
            let page = try await server.send(.GET, link.url)
            #expect(page.pageErrorCode == nil, "\(page.pageErrorCode ?? "")")
            #expect(page.text.contains("HKD 10.50") && page.text.contains("支付宝"))
            #expect(try await server.inspect(intent.orderID).json["timeout_rule"] as? String == "15m")
            #expect(try await client.inquirePayment(intent) == .processing)

            #expect(try await server.simulate(intent.orderID, "success").status == 200)
            let form = try #require(try await server.notifications(count: 1).first).fields
            let report = try await WAPNotificationReceiver(client: client).report(form: form)
            #expect(report.orderID == intent.orderID)
            #expect(WAPNotificationReceiver.matches(totalFee: report.totalFee, currency: report.currency, intent.amount))
            guard case .providerSucceeded(_, let wallet, _) = report.event else {
                Issue.record("not a success: \(report.event)")
                return
            }
            #expect(wallet == "ALIPAY_CN")
            var tampered = form
            tampered["trade_status"] = "TRADE_CLOSED"
            await #expect(throws: WAPNotificationReceiver.Rejection.badSignature) { try await WAPNotificationReceiver(client: client).report(form: tampered) }

            guard case .succeeded = try await client.inquirePayment(intent) else {
                Issue.record("inquirePayment is not succeeded")
                return
            }
            let refund = Refund(
                refundID: "rf_connector_1", merchantUID: 42, orderID: intent.orderID, merchantRefundID: "R-1",
                amount: Money(minorUnits: 400, currency: Currency(code: "HKD")!), reason: "asked", createTime: now, requestFingerprint: "fixture"
            )
            guard case .succeeded = try await client.startRefund(ProviderRefundRequest(refund: refund, intent: intent)) else {
                Issue.record("startRefund did not succeed")
                return
            }
            guard case .succeeded = try await client.startRefund(ProviderRefundRequest(refund: refund, intent: intent)) else {
                Issue.record("the same refund again did not succeed")
                return
            }
            guard case .alreadyPaid = try await client.cancelPayment(intent) else {
                Issue.record("cancelling a paid trade is not alreadyPaid")
                return
            }
            #expect(try await server.inspect(intent.orderID).json["refunded_amount"] as? String == "4.00")
        }
    }

    // MARK: Expiry (on the book, with its clock)

    @Test("timeout_rule: a waiting trade closes when looked at after its time, without a notification")
    func expiry() async {
        let book = SandboxWAPBook()
        let start = Date(timeIntervalSince1970: 1_719_892_800)
        let request = SandboxWAPBook.CreateRequest(
            partner: WAPFixture.partner, outTradeNo: "ord_exp", signType: .md5, currency: "HKD", totalFee: 1050, paymentInst: "ALIPAYHK",
            subject: nil, body: nil, notifyURL: "https://gateway.example.com/n", returnURL: nil, timeoutRule: "5m", timeout: .seconds(300)
        )
        _ = await book.create(request, now: start)
        #expect(await book.trade(partner: nil, outTradeNo: "ord_exp", tradeNo: nil, now: start.addingTimeInterval(299))?.status == .waitBuyerPay)
        let expired = await book.trade(partner: nil, outTradeNo: "ord_exp", tradeNo: nil, now: start.addingTimeInterval(300))
        #expect(expired?.status == .closed)
        #expect(expired?.closeReason == "TIMEOUT")
        #expect(expired?.gmtClose == start.addingTimeInterval(300))
        let late = await book.complete(partner: nil, outTradeNo: "ord_exp", outcome: .success, now: start.addingTimeInterval(301))
        #expect(late == .failure(.notWaiting(.closed)))
        // notify ids expire after 15 minutes.
        let id = await book.issueNotifyID(partner: WAPFixture.partner, now: start)
        #expect(await book.verifyNotifyID(id, partner: WAPFixture.partner, now: start.addingTimeInterval(899)))
        #expect(!(await book.verifyNotifyID(id, partner: WAPFixture.partner, now: start.addingTimeInterval(900))))
    }
}
