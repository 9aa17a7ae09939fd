using System.Globalization;
using System.Text;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// The <c>tojson</c> filter and the printing of lists and mappings, byte for byte as @huggingface/jinja writes them:
/// Python's <c>json.dumps</c> separators (<c>", "</c> and <c>": "</c>; <c>","</c> when indenting), JavaScript's
/// string escapes (non-ASCII kept unless <c>ensure_ascii</c>) and number printing.
/// </summary>
internal static class TemplateJson
{
    public sealed record Options(int? Indent = null, bool EnsureAscii = false, bool SortKeys = false, string? ItemSeparator = null, string? KeySeparator = null)
    {
        public static readonly Options Default = new();
    }

    public static string Write(TemplateValue value, Options options, bool undefinedAsNull = true)
    {
        var text = new StringBuilder();
        Write(text, value, options, 0, undefinedAsNull);
        return text.ToString();
    }

    static void Write(StringBuilder text, TemplateValue value, Options o, int depth, bool undefinedAsNull)
    {
        if (depth > 100) throw new InvalidOperationException("tojson: the value is nested more than 100 levels deep");
        string itemSeparator = o.ItemSeparator ?? (o.Indent is > 0 ? "," : ", ");
        string keySeparator = o.KeySeparator ?? ": ";
        string indent = o.Indent is > 0 ? new string(' ', o.Indent.Value) : "";
        switch (value)
        {
            case NullValue: text.Append("null"); break;
            case UndefinedValue: text.Append(undefinedAsNull ? "null" : "undefined"); break;
            case BooleanValue b: text.Append(b.Value ? "true" : "false"); break;
            case IntegerValue i: text.Append(i.Value.ToString(CultureInfo.InvariantCulture)); break;
            case FloatValue f: text.Append(double.IsFinite(f.Value) ? Number(f.Value) : "null"); break;
            case StringValue s: Quote(text, s.Value, o.EnsureAscii); break;
            case ListValue list:
                if (list.Items.Count == 0) { text.Append("[]"); break; }
                text.Append('[');
                for (int k = 0; k < list.Items.Count; k++)
                {
                    if (k > 0) text.Append(itemSeparator);
                    if (indent.Length > 0) NewLine(text, indent, depth + 1);
                    Write(text, list.Items[k], o, depth + 1, undefinedAsNull);
                }
                if (indent.Length > 0) NewLine(text, indent, depth);
                text.Append(']');
                break;
            case MappingValue map:
                var entries = map.Entries.ToList();
                if (o.SortKeys) entries.Sort((a, b) => string.Compare(a.Key, b.Key, CultureInfo.InvariantCulture, CompareOptions.None));
                if (entries.Count == 0) { text.Append("{}"); break; }
                text.Append('{');
                for (int k = 0; k < entries.Count; k++)
                {
                    if (k > 0) text.Append(itemSeparator);
                    if (indent.Length > 0) NewLine(text, indent, depth + 1);
                    Quote(text, entries[k].Key, o.EnsureAscii);
                    text.Append(keySeparator);
                    Write(text, entries[k].Value, o, depth + 1, undefinedAsNull);
                }
                if (indent.Length > 0) NewLine(text, indent, depth);
                text.Append('}');
                break;
            default: throw new InvalidOperationException($"tojson cannot write a {value.TypeName}");
        }
    }

    static void NewLine(StringBuilder text, string indent, int depth)
    {
        text.Append('\n');
        for (int k = 0; k < depth; k++) text.Append(indent);
    }

    /// <summary>JSON.stringify's string form; with <paramref name="ensureAscii"/> every character from U+007F up as \uXXXX.</summary>
    public static void Quote(StringBuilder text, string s, bool ensureAscii)
    {
        text.Append('"');
        for (int k = 0; k < s.Length; k++)
        {
            char c = s[k];
            switch (c)
            {
                case '"': text.Append("\\\""); break;
                case '\\': text.Append("\\\\"); break;
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case '\b': text.Append("\\b"); break;
                case '\f': text.Append("\\f"); break;
                default:
                    bool loneSurrogate = char.IsHighSurrogate(c) ? k + 1 >= s.Length || !char.IsLowSurrogate(s[k + 1])
                        : char.IsLowSurrogate(c) && (k == 0 || !char.IsHighSurrogate(s[k - 1]));
                    if (c < ' ' || loneSurrogate || ensureAscii && c >= '\u007f')
                        text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else text.Append(c);
                    break;
            }
        }
        text.Append('"');
    }

    /// <summary>JavaScript's shortest round-trip number text (1e+21, 1.5e-7, 0.1).</summary>
    public static string Number(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value > 0 ? "Infinity" : "-Infinity";
        if (value == 0) return "0";
        string r = value.ToString("R", CultureInfo.InvariantCulture);
        double abs = Math.Abs(value);
        int e = r.IndexOf('E');
        if (abs >= 1e21 || abs < 1e-6)
        {
            if (e < 0) return r;
            int exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
            return $"{r[..e]}e{(exponent >= 0 ? "+" : "-")}{Math.Abs(exponent)}";
        }
        return e < 0 ? r : decimal.Parse(r, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }
}
