/// What a provider's settlement file holds, told from its name (docs/settlement-formats.md): a
/// synced folder holds several kinds, and a WAP detail file's batch number is only in its name.
public enum SettlementFileName: Sendable, Equatable {
    /// `transactionItems_<yyyyMMdd>_<seq>.csv` (older names put a wallet and currency first).
    case amsTransactionItems(date: String, sequence: Int)
    /// `settlementItems_[<wallet>_]<currency>_<batch>_<seq>.csv`
    case amsSettlementItems(currency: String, batchID: String, sequence: Int)
    /// `settlementSummary_[<wallet>_]<currency>_<batch>_<seq>.csv`
    case amsSettlementSummary(currency: String, batchID: String, sequence: Int)
    /// `<partner>_settlebatch_<yyyyMMdd>.csv`
    case wapSettlementBatches(partner: String, date: String)
    /// `<partner>_settle_<yyyyMMdd>_<batch>.csv`
    case wapSettlementDetails(partner: String, date: String, batchID: String)

    public init?(_ name: String) {
        guard name.hasSuffix(".csv") else { return nil }
        let parts = name.dropLast(4).split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        func digits(_ text: String, _ count: Int? = nil) -> Bool {
            !text.isEmpty && (count == nil || text.utf8.count == count)
                && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } && text.utf8.count <= 64
        }
        func currency(_ text: String) -> Bool {
            text.utf8.count == 3 && text.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) }
        }
        func batch(_ text: String) -> Bool {
            !text.isEmpty && text.utf8.count <= 64 && text.utf8.allSatisfy {
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0)
            }
        }
        switch parts[0] {
        case "transactionItems" where [3, 5].contains(parts.count) && digits(parts[parts.count - 2], 8) && digits(parts[parts.count - 1], 3):
            self = .amsTransactionItems(date: parts[parts.count - 2], sequence: Int(parts[parts.count - 1])!)
        case "settlementItems", "settlementSummary":
            guard [4, 5].contains(parts.count), currency(parts[parts.count - 3]), batch(parts[parts.count - 2]),
                  digits(parts[parts.count - 1], 3) else { return nil }
            let (code, id, sequence) = (parts[parts.count - 3], parts[parts.count - 2], Int(parts[parts.count - 1])!)
            self = parts[0] == "settlementItems"
                ? .amsSettlementItems(currency: code, batchID: id, sequence: sequence)
                : .amsSettlementSummary(currency: code, batchID: id, sequence: sequence)
        case let partner where digits(partner, 16):
            if parts.count == 3, parts[1] == "settlebatch", digits(parts[2], 8) {
                self = .wapSettlementBatches(partner: partner, date: parts[2])
            } else if parts.count == 4, parts[1] == "settle", digits(parts[2], 8), batch(parts[3]) {
                self = .wapSettlementDetails(partner: partner, date: parts[2], batchID: parts[3])
            } else {
                return nil
            }
        default:
            return nil
        }
    }
}
