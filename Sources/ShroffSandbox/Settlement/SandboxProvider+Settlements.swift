import Foundation
import Hummingbird

/// The settlement helper endpoints: `POST /sandbox/v1/settlements/generate` writes a day's files;
/// `POST /sandbox/v1/settlements/discrepancies` sets what the files get wrong on purpose.
extension SandboxProvider {
    func generateSettlements(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            return Self.jsonError(.badRequest, "invalid_request", "body must be a JSON object")
        }
        guard let date = json["date"] as? String, let day = SandboxSettlementDay(date) else {
            return Self.jsonError(.badRequest, "invalid_parameter", "date: a day written YYYY-MM-DD")
        }
        do {
            let files = try await settlements.generate(day)
            return Self.jsonResponse(.ok, [
                "date": day.description,
                "files": files.map { ["path": $0.path, "kind": $0.kind, "bytes": $0.bytes] as [String: Any] },
            ])
        } catch .off {
            return Self.jsonError(.conflict, "settlements_off", SandboxSettlements.Failure.off.description)
        } catch {
            logger.error("sandbox could not write settlement files", metadata: ["date": "\(day)", "error": "\(error)"])
            return Self.jsonError(.internalServerError, "write_failed", error.description)
        }
    }

    /// Replaces the injected discrepancies with the body's `discrepancies` (an empty list clears them).
    func setSettlementDiscrepancies(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        guard let json = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let list = json["discrepancies"] as? [[String: Any]] else {
            return Self.jsonError(.badRequest, "invalid_request", "body must be {\"discrepancies\": [ … ]}")
        }
        var parsed: [SandboxSettlementDiscrepancy] = []
        for (index, item) in list.enumerated() {
            switch discrepancy(item) {
            case .success(let discrepancy): parsed.append(discrepancy)
            case .failure(let problem): return Self.jsonError(.badRequest, "invalid_parameter", "discrepancies[\(index)].\(problem.text)")
            }
        }
        await settlements.setDiscrepancies(parsed)
        return Self.jsonResponse(.ok, ["discrepancies": parsed.map(Self.describe)])
    }

    struct Problem: Error {
        let text: String
    }

    private func discrepancy(_ json: [String: Any]) -> Result<SandboxSettlementDiscrepancy, Problem> {
        guard let reference = json["reference"] as? String, !reference.isEmpty, reference.utf8.count <= 64 else {
            return .failure(Problem(text: "reference: the transaction's paymentRequestId, refundRequestId, out_trade_no or out_return_no"))
        }
        let amount = json["amount"] as? [String: Any]
        let currency = amount?["currency"] as? String
        let value = (amount?["value"] as? String).flatMap { $0.utf8.allSatisfy { (48...57).contains($0) } ? Int64($0) : nil }
        let validAmount = value.map { $0 > 0 && $0 < 10_000_000_000 } ?? false
        let validCurrency = currency.map { SandboxQuotes.perUSD[$0] != nil || WAPMoney.decimals[$0] != nil } ?? false
        switch json["type"] as? String {
        case "omit":
            return .success(.omit(reference: reference))
        case "refund_failed":
            return .success(.refundFailed(reference: reference))
        case "amount":
            guard validAmount, currency == nil || validCurrency else {
                return .failure(Problem(text: "amount: {\"value\": minor units as a string, \"currency\": optional, a currency the sandbox knows}"))
            }
            return .success(.amount(reference: reference, currency: currency, value: value!))
        case "extra":
            guard validAmount, validCurrency else {
                return .failure(Problem(text: "amount: {\"currency\": a currency the sandbox knows, \"value\": minor units as a string}"))
            }
            guard let date = json["date"] as? String, let day = SandboxSettlementDay(date) else {
                return .failure(Problem(text: "date: the day whose files get the extra payment, YYYY-MM-DD"))
            }
            let owner: SandboxSettlementEntry.Owner
            switch json["provider"] as? String {
            case "ams":
                let customers = settlements.customers
                guard let customer = (json["customer_id"] as? String) ?? (customers.count == 1 ? customers[0] : nil),
                      customers.contains(customer) else {
                    return .failure(Problem(text: "customer_id: one of the sandbox's AMS clients (\(customers.joined(separator: ", ")))"))
                }
                owner = .ams(customerID: customer)
            case "wap":
                let partners = settlements.partners
                guard let partner = (json["partner"] as? String) ?? (partners.count == 1 ? partners[0] : nil), partners.contains(partner) else {
                    return .failure(Problem(text: "partner: one of the sandbox's WAP partners (\(partners.joined(separator: ", ")))"))
                }
                owner = .wap(partner: partner)
            default:
                return .failure(Problem(text: "provider: ams or wap"))
            }
            return .success(.extra(reference: reference, owner: owner, day: day, currency: currency!, value: value!))
        default:
            return .failure(Problem(text: "type: one of omit, extra, amount, refund_failed"))
        }
    }

    static func describe(_ discrepancy: SandboxSettlementDiscrepancy) -> [String: Any] {
        switch discrepancy {
        case .omit(let reference):
            return ["type": "omit", "reference": reference]
        case .refundFailed(let reference):
            return ["type": "refund_failed", "reference": reference]
        case .amount(let reference, let currency, let value):
            var amount: [String: Any] = ["value": String(value)]
            if let currency { amount["currency"] = currency }
            return ["type": "amount", "reference": reference, "amount": amount]
        case .extra(let reference, let owner, let day, let currency, let value):
            var fields: [String: Any] = [
                "type": "extra", "reference": reference, "date": day.description, "amount": ["currency": currency, "value": String(value)],
            ]
            switch owner {
            case .ams(let customer): fields.merge(["provider": "ams", "customer_id": customer]) { $1 }
            case .wap(let partner): fields.merge(["provider": "wap", "partner": partner]) { $1 }
            }
            return fields
        }
    }
}
