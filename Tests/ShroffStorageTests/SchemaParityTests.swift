import Foundation
import ShroffStorage
import Testing

/// The one list of migrations makes the same schema on both engines.
@Suite("Schema on both engines", .enabled(if: TestPostgres.isAvailable, TestPostgres.skipReason))
struct SchemaParityTests {
    @Test("SQLite and PostgreSQL get the same tables, columns, types, nullability, keys and indexes")
    func sameSchema() async throws {
        try await withSQLiteHarness { sqlite in
            try await withPostgresHarness { postgres in
                let onSQLite = try await sqlite.database.read(SchemaDescription.sqlite)
                let onPostgres = try await postgres.database.read(SchemaDescription.postgres)
                #expect(onSQLite.tables.keys.sorted() == [
                    "console_sessions", "merchants", "node_health", "operator_alerts", "payment_intents", "provider_activity", "refunds",
                    "request_log", "schema_migrations", "secrets", "settlement_batches", "settlement_details", "settlement_discrepancies",
                    "settlement_files", "webhook_attempts", "webhook_events",
                ])
                for name in Set(onSQLite.tables.keys).union(onPostgres.tables.keys).sorted() {
                    #expect(onSQLite.tables[name] == onPostgres.tables[name], "table \(name)")
                }
                // Both descriptions see keys, indexes and nullability (not only names).
                let refunds = onPostgres.tables["refunds"]
                #expect(refunds?.primaryKey == ["refund_id"])
                #expect(refunds?.indexes == [
                    "refunds_order (order_id)", "refunds_check (status, check_at)", "UNIQUE (merchant_uid, merchant_refund_id)",
                    "refunds_merchant_order (merchant_uid, order_id)",
                ])
                #expect(refunds?.columns.first == SchemaDescription.Column(name: "refund_id", type: "text", notNull: true))
                #expect(refunds?.columns.contains(SchemaDescription.Column(name: "check_at", type: "integer", notNull: false)) == true)
            }
        }
    }
}

/// A schema as both engines can describe it: column types normalised (INTEGER and BIGINT are
/// "integer", BLOB and BYTEA "bytes"), indexes by name except those of UNIQUE constraints, whose
/// names each engine makes up.
struct SchemaDescription: Equatable {
    struct Column: Equatable, CustomStringConvertible {
        let name: String
        let type: String
        let notNull: Bool
        var description: String { "\(name) \(type)\(notNull ? " NOT NULL" : "")" }
    }

    struct Table: Equatable {
        var columns: [Column] = []
        var primaryKey: [String] = []
        /// "name (columns)" for an index made by CREATE INDEX, "UNIQUE (columns)" for a constraint's.
        var indexes: Set<String> = []
    }

    var tables: [String: Table] = [:]

    static func type(_ declared: String) -> String {
        switch declared.uppercased() {
        case "INTEGER", "BIGINT": "integer"
        case "BLOB", "BYTEA": "bytes"
        case let other: other.lowercased()
        }
    }

    @Sendable static func sqlite(_ session: any SQLSession) async throws -> SchemaDescription {
        var schema = SchemaDescription()
        let tables = try await session.run("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        for tableName in try tables.map({ try $0.value("name") }) {
            guard case .text(let name) = tableName else { continue }
            var table = Table()
            var keyed: [(position: Int64, name: String)] = []
            for column in try await session.run("SELECT name, type, \"notnull\" AS not_null, pk FROM pragma_table_info(?) ORDER BY cid", name) {
                let columnName = try text(column, "name")
                let position = try integer(column, "pk")
                if position > 0 { keyed.append((position, columnName)) }
                // A primary key column is NOT NULL on PostgreSQL; SQLite only enforces it for INTEGER keys.
                table.columns.append(Column(
                    name: columnName, type: type(try text(column, "type")), notNull: try integer(column, "not_null") == 1 || position > 0
                ))
            }
            table.primaryKey = keyed.sorted { $0.position < $1.position }.map(\.name)
            for index in try await session.run("SELECT name, \"unique\" AS is_unique, origin FROM pragma_index_list(?)", name) {
                let indexName = try text(index, "name")
                let origin = try text(index, "origin")
                guard origin != "pk" else { continue }
                let columns = try await session.run("SELECT name FROM pragma_index_info(?) ORDER BY seqno", indexName)
                    .map { try text($0, "name") }.joined(separator: ", ")
                table.indexes.insert(origin == "u" ? "UNIQUE (\(columns))" : "\(indexName) (\(columns))")
            }
            schema.tables[name] = table
        }
        return schema
    }

    @Sendable static func postgres(_ session: any SQLSession) async throws -> SchemaDescription {
        var schema = SchemaDescription()
        let tables = try await session.run(
            "SELECT CAST(table_name AS TEXT) AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        for name in try tables.map({ try text($0, "name") }) {
            var table = Table()
            let columns = try await session.run(
                """
                SELECT CAST(column_name AS TEXT) AS name, CAST(data_type AS TEXT) AS type, CAST(is_nullable AS TEXT) AS nullable
                FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position
                """,
                name
            )
            for column in columns {
                table.columns.append(Column(
                    name: try text(column, "name"), type: type(try text(column, "type")), notNull: try text(column, "nullable") == "NO"
                ))
            }
            let indexes = try await session.run(
                """
                SELECT CAST(i.relname AS TEXT) AS name, CAST(x.indisunique AS INTEGER) AS is_unique,
                       CAST(x.indisprimary AS INTEGER) AS is_primary,
                       array_to_string(ARRAY(
                           SELECT CAST(a.attname AS TEXT) FROM unnest(CAST(x.indkey AS SMALLINT[])) WITH ORDINALITY AS k(attnum, n)
                           JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.n
                       ), ', ') AS columns
                FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
                JOIN pg_namespace s ON s.oid = t.relnamespace
                WHERE s.nspname = 'public' AND t.relname = ?
                """,
                name
            )
            for index in indexes {
                let columns = try text(index, "columns")
                if try integer(index, "is_primary") == 1 {
                    table.primaryKey = columns.components(separatedBy: ", ")
                } else {
                    table.indexes.insert(try integer(index, "is_unique") == 1 ? "UNIQUE (\(columns))" : "\(try text(index, "name")) (\(columns))")
                }
            }
            schema.tables[name] = table
        }
        return schema
    }

    static func text(_ row: SQLRow, _ column: String) throws -> String {
        guard case .text(let text) = try row.value(column) else { throw StoredDataError(column: column) }
        return text
    }

    static func integer(_ row: SQLRow, _ column: String) throws -> Int64 {
        guard case .integer(let integer) = try row.value(column) else { throw StoredDataError(column: column) }
        return integer
    }
}
