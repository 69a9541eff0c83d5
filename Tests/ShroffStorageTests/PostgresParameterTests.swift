import Testing

@testable import ShroffPostgres

@Suite("PostgreSQL parameter numbering")
struct PostgresParameterTests {
    @Test("each ? becomes $1, $2, … in order")
    func numbersInOrder() {
        #expect(PostgresSession.numberingParameters("SELECT * FROM t WHERE a = ? AND b = ?") == "SELECT * FROM t WHERE a = $1 AND b = $2")
        #expect(PostgresSession.numberingParameters("VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").hasSuffix("$10, $11)"))
    }

    @Test("a ? inside a quoted literal stays, and so does text around it in any script")
    func literalsAndUnicode() {
        #expect(PostgresSession.numberingParameters("SELECT '?', ? WHERE x = 'a''?b' AND y = ?") == "SELECT '?', $1 WHERE x = 'a''?b' AND y = $2")
        #expect(PostgresSession.numberingParameters("SELECT '商店?', ?, 'é́?'") == "SELECT '商店?', $1, 'é́?'")
        #expect(PostgresSession.numberingParameters("") == "")
    }
}
