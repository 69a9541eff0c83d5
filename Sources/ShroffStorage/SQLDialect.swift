import Foundation

/// What the engines' SQL truly differs in, for the statements and migrations written once in this
/// module: column types, keys the database numbers, row locks. Each engine module has its dialect.
/// (Bound values are `?` everywhere; an engine that numbers its parameters rewrites them itself.)
public struct SQLDialect: Sendable {
    /// The column type of integers (amounts, times, counts: 64 bits).
    public var integer: String
    /// The column type of byte strings.
    public var bytes: String
    /// The definition of a key column the database numbers itself.
    public var generatedKey: String
    /// The same for `table`'s key, whose first value is `first`, and the statements that make it
    /// start there (run right after the table is created).
    public var generatedKeyStarting: @Sendable (_ table: String, _ first: Int64) -> (definition: String, statements: [String])
    /// Ends a SELECT of rows the transaction goes on to change: others wait for them until it ends.
    /// Empty where the engine runs one write transaction at a time.
    public var lockForUpdate: String
    /// Ends a SELECT that claims queued rows of `table` (a name or an alias): the claimed rows are
    /// locked, and rows another transaction holds are passed over instead of waited for.
    public var claimLock: @Sendable (_ table: String) -> String
    /// Run first in each migration's transaction (a lock, where several processes may migrate at once).
    public var migrationLock: String?
    /// How `schema_migrations.applied_at` keeps the time a migration was applied.
    public var migrationTime: @Sendable (Date) -> SQLValue

    public init(
        integer: String, bytes: String, generatedKey: String,
        generatedKeyStarting: @escaping @Sendable (String, Int64) -> (definition: String, statements: [String]),
        lockForUpdate: String, claimLock: @escaping @Sendable (String) -> String, migrationLock: String?,
        migrationTime: @escaping @Sendable (Date) -> SQLValue
    ) {
        self.integer = integer
        self.bytes = bytes
        self.generatedKey = generatedKey
        self.generatedKeyStarting = generatedKeyStarting
        self.lockForUpdate = lockForUpdate
        self.claimLock = claimLock
        self.migrationLock = migrationLock
        self.migrationTime = migrationTime
    }
}
