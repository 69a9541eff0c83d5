/// The merchant contract's OpenAPI 3.1 document (`openapi.json` beside this file, the source of truth),
/// compiled into the binary so that `shroff` runs from any folder with no resource bundle beside it.
public enum OpenAPIDocument {
    /// The document's bytes, exactly as committed in openapi.json.
    public static var json: [UInt8] { Array(text.utf8) + [UInt8(ascii: "\n")] }
}
