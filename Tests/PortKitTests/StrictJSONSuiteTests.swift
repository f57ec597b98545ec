import Testing
@testable import PortKit

/// Cases in the style of JSONTestSuite (Nicolas Seriot's "Parsing JSON is a
/// Minefield"), written here as small inline texts: y_ must parse, n_ must be
/// refused. The i_ (implementation-defined) cases are left out, except the
/// ones this parser decides on purpose (ours_).
@Suite("StrictJSONParser: JSONTestSuite-style y_ and n_ cases")
struct StrictJSONSuiteTests {
    static let accepted: [(String, [UInt8])] = [
        ("y_array_arraysWithSpaces", b("[[]   ]")),
        ("y_array_empty", b("[]")),
        ("y_array_empty-string", b("[\"\"]")),
        ("y_array_false", b("[false]")),
        ("y_array_heterogeneous", b("[null, 1, \"1\", {}]")),
        ("y_array_null", b("[null]")),
        ("y_array_with_leading_space", b(" [1]")),
        ("y_array_with_trailing_space", b("[2] ")),
        ("y_number", b("[123e65]")),
        ("y_number_0e+1", b("[0e+1]")),
        ("y_number_minus_zero", b("[-0]")),
        ("y_number_negative_int", b("[-123]")),
        ("y_number_real_capital_e_neg_exp", b("[1E-2]")),
        ("y_number_real_fraction_exponent", b("[123.456e78]")),
        ("y_number_huge_exp", b("[0.4e00669999999999999999999999999999999999999999999999]")),
        ("y_object_basic", b("{\"asd\":\"sdf\"}")),
        ("y_object_empty_key", b("{\"\":0}")),
        ("y_object_escaped_null_in_key", b("{\"foo\\u0000bar\": 42}")),
        ("y_object_duplicated_key_and_value_is_not_here", b("{\"a\":\"b\",\"c\":\"b\"}")),
        ("y_object_extreme_numbers", b("{ \"min\": -1.0e+28, \"max\": 1.0e+28 }")),
        ("y_string_accepted_surrogate_pair", b("[\"\\uD801\\udc37\"]")),
        ("y_string_allowed_escapes", b("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]")),
        ("y_string_unicode_escaped_double_quote", b("[\"\\u0022\"]")),
        ("y_string_utf8", b("[\"€𝄞\"]")),
        ("y_string_nonCharacterInUTF-8_U+FFFF", b("[\"\u{FFFF}\"]")),
        ("y_string_space", b("\" \"")),
        ("y_structure_lonely_int", b("42")),
        ("y_structure_lonely_null", b("null")),
        ("y_structure_lonely_true", b("true")),
        ("y_structure_whitespace_array", b(" [] ")),
        ("y_structure_trailing_newline", b("[\"a\"]\n")),
        ("ours_512_nested_arrays", b(String(repeating: "[", count: 512) + String(repeating: "]", count: 512))),
    ]

    static let refused: [(String, [UInt8])] = [
        ("n_array_1_true_without_comma", b("[1 true]")),
        ("n_array_comma_and_number", b("[,1]")),
        ("n_array_extra_comma", b("[\"\",]")),
        ("n_array_inner_array_no_comma", b("[3[4]]")),
        ("n_array_unclosed", b("[\"\"")),
        ("n_incomplete_false", b("[fals]")),
        ("n_incomplete_null", b("[nul]")),
        ("n_number_+1", b("[+1]")),
        ("n_number_-01", b("[-01]")),
        ("n_number_.2e-3", b("[.2e-3]")),
        ("n_number_1.0e", b("[1.0e]")),
        ("n_number_2.e3", b("[2.e3]")),
        ("n_number_hex_1_digit", b("[0x1]")),
        ("n_number_infinity", b("[Infinity]")),
        ("n_number_NaN", b("[NaN]")),
        ("n_number_minus_space_1", b("[- 1]")),
        ("n_number_with_leading_zero", b("[012]")),
        ("n_object_missing_colon", b("{\"a\" b}")),
        ("n_object_non_string_key", b("{1:1}")),
        ("n_object_single_quote", b("{'a':0}")),
        ("n_object_trailing_comma", b("{\"id\":0,}")),
        ("n_object_unquoted_key", b("{a: \"b\"}")),
        ("n_single_space", b(" ")),
        ("n_string_escape_x", b("[\"\\x00\"]")),
        ("n_string_incomplete_escape", b("[\"\\\"]")),
        ("n_string_invalid_utf8", [0x5B, 0x22, 0xFF, 0x22, 0x5D]),
        ("n_string_single_quote", b("['single quote']")),
        ("n_string_unescaped_newline", b("[\"new\nline\"]")),
        ("n_string_unescaped_tab", b("[\"\t\"]")),
        ("n_structure_double_array", b("[][]")),
        ("n_structure_lone-open-bracket", b("[")),
        ("n_structure_no_data", []),
        ("n_structure_trailing_#", b("{\"a\":\"b\"}#{}")),
        ("n_structure_UTF8_BOM_no_data", [0xEF, 0xBB, 0xBF]),
        ("n_structure_whitespace_formfeed", b("[\u{0C}]")),
        ("n_multidigit_number_then_00", b("123\u{0}")),
        ("ours_duplicate_key", b("{\"a\":1,\"a\":2}")),
        ("ours_513_nested_arrays", b(String(repeating: "[", count: 513) + String(repeating: "]", count: 513))),
    ]

    static func b(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("y_: parsed", arguments: accepted)
    func parses(_ c: (String, [UInt8])) {
        #expect(throws: Never.self, "\(c.0)") { _ = try StrictJSONParser.parse(c.1) }
    }

    @Test("n_: refused", arguments: refused)
    func refuses(_ c: (String, [UInt8])) {
        #expect(throws: LeaseBookProblem.self, "\(c.0)") { _ = try StrictJSONParser.parse(c.1) }
    }

    @Test("what a parsed text holds: escapes decoded, surrogate pairs joined, numbers kept as written")
    func values() throws {
        #expect(try StrictJSONParser.parse(Self.b("[\"\\uD801\\udc37\"]")) == .array([.string("\u{10437}")]))
        #expect(try StrictJSONParser.parse(Self.b("{\"foo\\u0000bar\": 42}")) == .object([JSONMember("foo\u{0}bar", .number("42"))]))
        #expect(try StrictJSONParser.parse(Self.b("[123.456e78, -0]")) == .array([.number("123.456e78"), .number("-0")]))
    }
}
