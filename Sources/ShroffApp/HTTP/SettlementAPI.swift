import Foundation
import Hummingbird
import ShroffAPI
import ShroffCore

/// The merchant's settlements: `pa/settlements/list`, its parts of the providers' settlement
/// batches per day (count, gross, fees, net, currency), newest day first, paged.
struct SettlementAPI: Sendable {
    let settlements: any SettlementStore

    static let maximumPageSize = 100

    func register(on group: RouterGroup<AppRequestContext>) {
        group.post("pa/settlements/list", use: list)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let merchant = try context.requireMerchant()
        let fields = FieldReader(try await MerchantAPI.jsonObject(request))
        let from = try Self.day(fields, "date_from")
        let to = try Self.day(fields, "date_to")
        let limit = try fields.optionalInteger("limit") ?? 20
        guard (1...Int64(Self.maximumPageSize)).contains(limit) else {
            throw GatewayError.invalidParameter("limit", "must be between 1 and \(Self.maximumPageSize)")
        }
        var offset = 0
        if let cursor = try fields.optionalString("cursor", maxLength: 12) {
            guard let position = Int(cursor), position >= 0, position <= 1_000_000_000 else {
                throw GatewayError.invalidParameter("cursor", "must be a next_cursor from a previous page")
            }
            offset = position
        }
        // One more than asked tells whether another page exists.
        var batches = try await settlements.settlementBatches(merchantUID: merchant.uid, from: from, to: to, limit: Int(limit) + 1, offset: offset)
        let hasMore = batches.count > Int(limit)
        if hasMore { batches.removeLast() }
        return try Envelope.ok(
            SettlementPage(
                batches: batches.map(ShroffAPI.SettlementBatch.init), hasMore: hasMore, nextCursor: hasMore ? String(offset + batches.count) : nil
            ),
            context: context
        )
    }

    /// An optional `YYYY-MM-DD`.
    static func day(_ fields: FieldReader, _ name: String) throws -> String? {
        guard let text = try fields.optionalString(name, maxLength: 10) else { return nil }
        guard SettlementDate.isValid(text) else { throw GatewayError.invalidParameter(name, "must be a day written YYYY-MM-DD") }
        return text
    }
}

extension ShroffAPI.SettlementBatch {
    init(_ batch: MerchantSettlementBatch) {
        self.init(
            batchID: batch.batchID, provider: batch.provider.rawValue, settlementDate: batch.date, currency: batch.net.currency.code,
            count: batch.count, grossAmount: batch.gross.decimalString, feeAmount: batch.fees.decimalString, netAmount: batch.net.decimalString
        )
    }
}

extension ShroffAPI.Settlement {
    init(_ details: SettlementDetails) {
        self.init(
            providerTransactionID: details.providerTransactionID, batchID: details.batchID,
            settlementAmount: details.settled?.gross.decimalString, fee: details.settled?.fee.decimalString,
            netAmount: details.settled?.net.decimalString, settlementCurrency: details.settled?.gross.currency.code,
            settlementDate: details.date
        )
    }
}
