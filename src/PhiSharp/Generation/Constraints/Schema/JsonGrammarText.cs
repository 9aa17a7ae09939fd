using System.Globalization;
using System.Text;

namespace PhiSharp.Generation.Constraints;

/// <summary>The grammar text shared by compiled schemas: JSON's primitives, and how values become grammar literals.</summary>
internal static class JsonGrammarText
{
    /// <summary>Digits of an integer without bounds (15 keeps every value exact as a double).</summary>
    public const int MaxDigits = 15;

    public const string Primitives = """
        ws ::= [ \t\n]{0,20}
        string ::= "\"" char* "\""
        char ::= [^"\\\x00-\x1F] | "\\" (["\\/bfnrt] | "u" unicode-escape)
        unicode-escape ::= [0-9a-cA-CefEF] hex hex hex | [dD] [0-7] hex hex
        hex ::= [0-9a-fA-F]
        ascii-char ::= [ !#-\[\]-~]
        integer ::= "-"? ("0" | [1-9] [0-9]{0,14})
        fraction ::= "." [0-9]{1,6}
        number ::= integer fraction?
        boolean ::= "true" | "false"
        null ::= "null"
        value ::= object | array | string | number | boolean | null
        object ::= "{" ws (member (ws "," ws member)*)? ws "}"
        member ::= string ws ":" ws value
        array ::= "[" ws (value (ws "," ws value)*)? ws "]"

        """;

    // Non-ASCII text is written as itself, not as \u escapes, so the output reads as the schema does.
    static readonly System.Text.Encodings.Web.JavaScriptEncoder Readable = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;

    /// <summary>A JSON value written compactly (no reflection: this must work in trimmed and AOT apps).</summary>
    public static string CompactJson(System.Text.Json.JsonElement value)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Encoder = Readable })) value.WriteTo(writer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A JSON string literal for <paramref name="text"/>.</summary>
    public static string JsonString(string text) => "\"" + System.Text.Json.JsonEncodedText.Encode(text, Readable) + "\"";

    /// <summary>A grammar string literal matching exactly <paramref name="text"/>.</summary>
    public static string Literal(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case < ' ': sb.Append("\\x").Append(((int)c).ToString("X2", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>Integers in [lo, hi] written without sign for zero, leading zeros or exponent; null is unbounded
    /// (limited to <see cref="MaxDigits"/> digits).</summary>
    public static string IntegerRange(long? lo, long? hi)
    {
        long limit = Pow10(Math.Max(MaxDigits, Math.Max(Digits(Math.Abs(lo ?? 0)), Digits(Math.Abs(hi ?? 0))))) - 1;
        long low = lo ?? -limit, high = hi ?? limit;
        var alternatives = new List<string>();
        if (low < 0)
        {
            long from = Math.Max(1, -high), to = -low;
            if (from <= to) alternatives.Add("\"-\" " + NonNegative(from, to));
        }
        long start = Math.Max(0, low);
        if (high >= start) alternatives.Add(NonNegative(start, high));
        return alternatives.Count == 1 ? alternatives[0] : "(" + string.Join(" | ", alternatives) + ")";
    }

    static string NonNegative(long a, long b)
    {
        var parts = new List<string>();
        for (int length = Digits(a); length <= Digits(b); length++)
        {
            long first = Math.Max(a, length == 1 ? 0 : Pow10(length - 1));
            long last = Math.Min(b, Pow10(length) - 1);
            if (first <= last) parts.Add(SameLength(first.ToString(CultureInfo.InvariantCulture), last.ToString(CultureInfo.InvariantCulture)));
        }
        return parts.Count == 1 ? parts[0] : "(" + string.Join(" | ", parts) + ")";
    }

    // Digit strings of one length from lo to hi, as a pattern.
    static string SameLength(string lo, string hi)
    {
        if (lo.Length == 0) return "\"\"";
        if (lo.Length == 1) return Digit(lo[0], hi[0]);
        if (lo[0] == hi[0]) return $"\"{lo[0]}\" {SameLength(lo[1..], hi[1..])}";
        var parts = new List<string>();
        string rest = lo[1..], nines = new('9', lo.Length - 1), zeros = new('0', lo.Length - 1);
        char firstFull = lo[0], lastFull = hi[0];
        if (rest != zeros) { parts.Add($"\"{lo[0]}\" {SameLength(rest, nines)}"); firstFull++; }
        if (hi[1..] != nines) { parts.Add($"\"{hi[0]}\" {SameLength(zeros, hi[1..])}"); lastFull--; }
        if (firstFull <= lastFull) parts.Insert(parts.Count > 0 && rest != zeros ? 1 : 0, $"{Digit(firstFull, lastFull)} [0-9]{{{lo.Length - 1}}}");
        return "(" + string.Join(" | ", parts) + ")";
    }

    static string Digit(char lo, char hi) => lo == hi ? $"\"{lo}\"" : $"[{lo}-{hi}]";

    public static int Digits(long n) => n < 10 ? 1 : 1 + Digits(n / 10);

    public static long Pow10(int n)
    {
        long p = 1;
        for (int i = 0; i < n; i++) p *= 10;
        return p;
    }
}
