using System.Text.Json;

namespace PhiSharp.Generation.Constraints;

internal sealed partial class SchemaCompiler
{
    /// <summary>Largest bound a number keyword may have: integers are written exactly up to here.</summary>
    const long MaxBound = 1_000_000_000_000_000;   // 10^15

    /// <summary>
    /// Declared properties in order, required ones always, optional ones possibly, and nothing else. Commas are placed
    /// by two rules per position: members before it written or not. A required name not among the properties is written
    /// last, with the additionalProperties schema (any value when that is absent or true).
    /// </summary>
    string Object(JsonElement schema, string path)
    {
        var members = new List<(string Name, string Value, bool Required)>();
        var required = new List<string>();
        if (schema.TryGetProperty("required", out var req))
        {
            if (req.ValueKind != JsonValueKind.Array || req.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                throw Refuse("required", path + "/required", "'{0}' at {1} must be an array of strings.");
            required = [.. req.EnumerateArray().Select(r => r.GetString()!).Distinct()];
        }
        var additional = schema.TryGetProperty("additionalProperties", out var ap) ? ap : default;
        if (schema.TryGetProperty("properties", out var properties))
        {
            if (properties.ValueKind != JsonValueKind.Object) throw Refuse("properties", path + "/properties", "'{0}' at {1} must be an object.");
            foreach (var property in properties.EnumerateObject())
                members.Add((property.Name, Value(property.Value, $"{path}/properties/{Escape(property.Name)}"), required.Contains(property.Name)));
        }
        foreach (string name in required.Where(r => !members.Any(m => m.Name == r)))
        {
            if (additional.ValueKind == JsonValueKind.False)
                throw Refuse("required", path + "/required", $"'{{0}}' at {{1}} names '{name}', which is not in properties while additionalProperties is false.");
            string value = additional.ValueKind is JsonValueKind.Object or JsonValueKind.True ? Value(additional, path + "/additionalProperties") : "value";
            members.Add((name, value, true));
        }
        if (members.Count == 0) return "\"{\" ws \"}\"";

        // after[i]: members i.. when one was written before (so each starts with a comma); first[i]: when none was.
        string after = "\"\"", first = "\"\"";
        for (int i = members.Count - 1; i >= 0; i--)
        {
            var (name, value, isRequired) = members[i];
            string member = $"{JsonGrammarText.Literal(JsonGrammarText.JsonString(name))} ws \":\" ws {value}";
            string withComma = $"ws \",\" ws {member} {after}";
            string withoutComma = $"{member} {after}";
            // An optional member left out passes the state on: "after" stays "after", "first" stays "first".
            string newAfter = Rule(isRequired ? withComma : $"{withComma} | {after}");
            string newFirst = Rule(isRequired ? withoutComma : $"{withoutComma} | {first}");
            after = newAfter;
            first = newFirst;
        }
        return $"\"{{\" ws {first} ws \"}}\"";
    }

    static string Escape(string name) => name.Replace("~", "~0").Replace("/", "~1");

    /// <summary>prefixItems, then items (none when items is false), between minItems and maxItems.</summary>
    string Array(JsonElement schema, string path)
    {
        int min = Count(schema, "minItems", path) ?? 0;
        int? max = Count(schema, "maxItems", path);
        if (max < min) throw Refuse("maxItems", path, "'{0}' at {1} is below minItems.");
        var prefix = new List<string>();
        if (schema.TryGetProperty("prefixItems", out var prefixItems))
        {
            if (prefixItems.ValueKind != JsonValueKind.Array) throw Refuse("prefixItems", path, "'{0}' at {1} must be an array of schemas.");
            int i = 0;
            foreach (var item in prefixItems.EnumerateArray()) prefix.Add(Value(item, $"{path}/prefixItems/{i++}"));
        }
        string? rest = "value";
        if (schema.TryGetProperty("items", out var items))
        {
            if (items.ValueKind == JsonValueKind.Array)
                throw Refuse("items", path + "/items", "'{0}' at {1} is an array (draft-07 tuples); use prefixItems.");
            rest = items.ValueKind == JsonValueKind.False ? null : Value(items, path + "/items");
        }
        if (rest is null)
        {
            max = Math.Min(max ?? prefix.Count, prefix.Count);
            if (min > max) throw Refuse("minItems", path, "'{0}' at {1} asks for more items than prefixItems has while items is false.");
        }

        // The elements from position i on, given that element i is written.
        string From(int i)
        {
            string item = i < prefix.Count ? prefix[i] : rest!;
            if (i >= prefix.Count)
            {
                int least = Math.Max(0, min - i - 1);
                string repeat = max is int m ? $"{{{least},{m - i - 1}}}" : least == 0 ? "*" : $"{{{least},}}";
                return Rule($"{item} (ws \",\" ws {item}){repeat}");
            }
            if (max is int most && i + 1 >= most) return item;
            if (i + 1 >= prefix.Count && rest is null) return item;
            string next = $"ws \",\" ws {From(i + 1)}";
            return Rule(i + 1 < min ? $"{item} {next}" : $"{item} ({next})?");
        }
        if (max == 0) return "\"[\" ws \"]\"";
        string elements = From(0);
        return min == 0 ? $"\"[\" ws ({elements})? ws \"]\"" : $"\"[\" ws {elements} ws \"]\"";
    }

    /// <summary>Any string; with minLength/maxLength only printable ASCII without escapes, where every way of counting a
    /// string's length (code points, UTF-16 units, text elements) agrees.</summary>
    string String(JsonElement schema, string path)
    {
        int? min = Count(schema, "minLength", path), max = Count(schema, "maxLength", path);
        if (min is null && max is null) return "string";
        if (max < min) throw Refuse("maxLength", path, "'{0}' at {1} is below minLength.");
        if (max > GrammarParser.MaxRepetition || min > GrammarParser.MaxRepetition)
            throw Refuse(max > GrammarParser.MaxRepetition ? "maxLength" : "minLength", path, $"'{{0}}' at {{1}} is above {GrammarParser.MaxRepetition}.");
        string repeat = max is int m ? $"{{{min ?? 0},{m}}}" : $"{{{min},}}";
        return Rule($"\"\\\"\" ascii-char{repeat} \"\\\"\"");
    }

    string Integer(JsonElement schema, string path)
    {
        var (lo, hi) = Bounds(schema, path, integer: true);
        return lo is null && hi is null ? "integer" : Rule(JsonGrammarText.IntegerRange(lo, hi));
    }

    /// <summary>
    /// Numbers without bounds: an integer part and up to 6 decimals, no exponent. With bounds: integers within them, and
    /// decimals only after integers I whose neighbours I−1 and I+1 are within them (so any fraction stays inside);
    /// bounds that leave no integer between them are refused.
    /// </summary>
    string Number(JsonElement schema, string path)
    {
        var (lo, hi) = Bounds(schema, path, integer: false);
        if (lo is null && hi is null) return "number";
        string whole = JsonGrammarText.IntegerRange(lo, hi);
        long? innerLo = lo + 1, innerHi = hi - 1;
        if (innerLo is long a && innerHi is long b && a > b) return Rule(whole);
        return Rule($"{whole} | {JsonGrammarText.IntegerRange(innerLo, innerHi)} fraction");
    }

    /// <summary>The integers the bounds allow, as [lo, hi] (null: unbounded).</summary>
    (long? Lo, long? Hi) Bounds(JsonElement schema, string path, bool integer)
    {
        decimal? Read(string keyword)
        {
            if (!schema.TryGetProperty(keyword, out var v)) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetDecimal(out decimal d))
                throw Refuse(keyword, path, "'{0}' at {1} must be a number.");
            if (Math.Abs(d) > MaxBound) throw Refuse(keyword, path, $"'{{0}}' at {{1}} is beyond ±{MaxBound}, which is not supported.");
            return d;
        }
        decimal? min = Read("minimum"), max = Read("maximum"), exMin = Read("exclusiveMinimum"), exMax = Read("exclusiveMaximum");
        long? lo = Max(min is decimal a ? (long)decimal.Ceiling(a) : null, exMin is decimal b ? (long)decimal.Floor(b) + 1 : null);
        long? hi = Min(max is decimal c ? (long)decimal.Floor(c) : null, exMax is decimal d ? (long)decimal.Ceiling(d) - 1 : null);
        if (lo > hi)
            throw Refuse(min is null ? "exclusiveMinimum" : "minimum", path, integer
                ? "'{0}' at {1} leaves no integer below the maximum."
                : "'{0}' at {1} leaves no integer below the maximum; such number ranges are not supported.");
        return (lo, hi);
    }

    static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);
    static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    int? Count(JsonElement schema, string keyword, string path)
    {
        if (!schema.TryGetProperty(keyword, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 0)
            throw Refuse(keyword, path, "'{0}' at {1} must be a non-negative integer.");
        return n;
    }
}
