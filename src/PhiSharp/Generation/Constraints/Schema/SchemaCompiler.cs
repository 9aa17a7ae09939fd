using System.Text;
using System.Text.Json;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// Writes the grammar of one JSON schema. Each subschema becomes a grammar expression; shared or recursive parts
/// ($ref targets, object members) become rules. Objects are written with their properties in declared order, required
/// ones always and optional ones possibly, and no other properties (always valid: extra properties are never required).
/// Number bounds are exact for integers; see <see cref="Numbers"/> for numbers.
/// </summary>
internal sealed partial class SchemaCompiler
{
    // "condition": Semantic Kernel (1.82) writes a kernel function's description under this name in its parameter schema.
    static readonly HashSet<string> Annotations =
        ["title", "description", "$schema", "$id", "$comment", "default", "examples", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "condition"];
    static readonly HashSet<string> Supported =
    [
        "type", "properties", "required", "additionalProperties", "items", "prefixItems", "enum", "const", "anyOf", "oneOf",
        "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "$ref", "nullable",
    ];
    static readonly string[] AllTypes = ["object", "array", "string", "number", "integer", "boolean", "null"];

    readonly JsonElement _root;
    readonly StringBuilder _rules = new();
    readonly Dictionary<string, string> _refRules = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _ruleByBody = new(StringComparer.Ordinal);
    int _next;

    SchemaCompiler(JsonElement root) => _root = root;

    public static string Compile(JsonElement schema)
    {
        var compiler = new SchemaCompiler(schema);
        string root = compiler.Value(schema, "#");
        return JsonGrammarText.Primitives + compiler._rules + $"root ::= {root}\n";
    }

    /// <summary>A rule with this body (one per distinct body), named for reading.</summary>
    string Rule(string body)
    {
        if (_ruleByBody.TryGetValue(body, out string? name)) return name;
        name = $"s{++_next}";
        _rules.Append(name).Append(" ::= ").Append(body).Append('\n');
        _ruleByBody[body] = name;
        return name;
    }

    string Value(JsonElement schema, string path)
    {
        if (schema.ValueKind == JsonValueKind.True) return "value";
        if (schema.ValueKind == JsonValueKind.False) throw Refuse("false", path, "The schema 'false' at {1} accepts no value.");
        if (schema.ValueKind != JsonValueKind.Object) throw Refuse("", path, "The schema at {1} is not an object or a boolean.");
        foreach (var property in schema.EnumerateObject())
        {
            if (!Annotations.Contains(property.Name) && !Supported.Contains(property.Name))
                throw Refuse(property.Name, path, "The schema keyword '{0}' at {1} is not supported.");
        }

        if (schema.TryGetProperty("$ref", out var reference)) return Alone("$ref", schema, path, () => Reference(reference, path));
        if (schema.TryGetProperty("anyOf", out var anyOf)) return Alone("anyOf", schema, path, () => Branches(anyOf, path + "/anyOf", disjoint: false));
        if (schema.TryGetProperty("oneOf", out var oneOf)) return Alone("oneOf", schema, path, () => Branches(oneOf, path + "/oneOf", disjoint: true));
        if (schema.TryGetProperty("const", out var constant)) return Choice([constant], schema, path, "const");
        if (schema.TryGetProperty("enum", out var values))
        {
            if (values.ValueKind != JsonValueKind.Array || values.GetArrayLength() == 0)
                throw Refuse("enum", path, "'{0}' at {1} must be a non-empty array.");
            return Choice([.. values.EnumerateArray()], schema, path, "enum");
        }

        var types = Types(schema, path);
        bool nullable = schema.TryGetProperty("nullable", out var n) && n.ValueKind == JsonValueKind.True;
        if (nullable && !types.Contains("null")) types.Add("null");
        var alternatives = types.Select(type => Typed(type, schema, path)).ToList();
        return alternatives.Count == 1 ? alternatives[0] : "(" + string.Join(" | ", alternatives) + ")";
    }

    /// <summary>The declared types, or the one the keywords present imply (a value of that type satisfies them all,
    /// since keywords of other types do not apply), or every type.</summary>
    List<string> Types(JsonElement schema, string path)
    {
        if (schema.TryGetProperty("type", out var type))
        {
            var names = type.ValueKind switch
            {
                JsonValueKind.String => [type.GetString()!],
                JsonValueKind.Array => type.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString()! : "").ToList(),
                _ => [""],
            };
            foreach (string name in names)
                if (!AllTypes.Contains(name)) throw Refuse("type", path + "/type", "'{0}' at {1} must name JSON types (object, array, string, number, integer, boolean, null).");
            if (names.Count == 0) throw Refuse("type", path + "/type", "'{0}' at {1} is an empty list.");
            // An integer is a number: listing both would write integers through two alternatives.
            if (names.Contains("integer") && names.Contains("number")) names.Remove("integer");
            return names.Distinct().ToList();
        }
        bool Has(params string[] keywords) => keywords.Any(k => schema.TryGetProperty(k, out _));
        if (Has("properties", "required", "additionalProperties")) return ["object"];
        if (Has("items", "prefixItems", "minItems", "maxItems")) return ["array"];
        if (Has("minLength", "maxLength")) return ["string"];
        if (Has("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")) return ["number"];
        return ["any"];
    }

    string Typed(string type, JsonElement schema, string path) => type switch
    {
        "object" => Object(schema, path),
        "array" => Array(schema, path),
        "string" => String(schema, path),
        "integer" => Integer(schema, path),
        "number" => Number(schema, path),
        "boolean" => "boolean",
        "null" => "null",
        _ => "value",
    };

    /// <summary>$ref, anyOf and oneOf take no validation keywords beside them: both would have to hold.</summary>
    string Alone(string keyword, JsonElement schema, string path, Func<string> compile)
    {
        foreach (var property in schema.EnumerateObject())
            if (property.Name != keyword && !Annotations.Contains(property.Name))
                throw Refuse(property.Name, path, $"'{{0}}' beside '{keyword}' at {{1}} is not supported (both would have to hold); move it into the {keyword}.");
        return compile();
    }

    string Reference(JsonElement reference, string path)
    {
        string target = reference.ValueKind == JsonValueKind.String ? reference.GetString()! : "";
        if (_refRules.TryGetValue(target, out string? rule)) return rule;
        if (!(target == "#" || target.StartsWith("#/", StringComparison.Ordinal)))
            throw Refuse("$ref", path, $"'{{0}}' at {{1}} is '{target}'; only references inside the schema (#/$defs/...) are supported.");
        var node = _root;
        foreach (string raw in target.Length > 1 ? target[2..].Split('/') : [])
        {
            string part = Uri.UnescapeDataString(raw).Replace("~1", "/").Replace("~0", "~");
            bool found = node.ValueKind == JsonValueKind.Object ? node.TryGetProperty(part, out node)
                : node.ValueKind == JsonValueKind.Array && int.TryParse(part, out int index) && index >= 0 && index < node.GetArrayLength()
                  && (node = node[index]).ValueKind != JsonValueKind.Undefined;
            if (!found) throw Refuse("$ref", path, $"'{{0}}' at {{1}} points to '{target}', which the schema does not have.");
        }
        // Named before it is compiled, so a recursive schema refers to its own rule.
        rule = $"ref{++_next}";
        _refRules[target] = rule;
        string body = Value(node, target);
        _rules.Append(rule).Append(" ::= ").Append(body).Append('\n');
        return rule;
    }

    string Branches(JsonElement branches, string path, bool disjoint)
    {
        string keyword = path[(path.LastIndexOf('/') + 1)..];
        if (branches.ValueKind != JsonValueKind.Array || branches.GetArrayLength() == 0)
            throw Refuse(keyword, path, "'{0}' at {1} must be a non-empty array of schemas.");
        var list = branches.EnumerateArray().ToList();
        // oneOf needs exactly one branch to match: branches must be of different JSON types, or all literals (const,
        // enum) with different values.
        if (disjoint && list.Count > 1)
        {
            bool literals = list.All(b => b.ValueKind == JsonValueKind.Object && (b.TryGetProperty("const", out _) || b.TryGetProperty("enum", out _)));
            var seen = new HashSet<string>();
            foreach (var branch in list)
            {
                var kinds = Kinds(branch, literals);
                if (kinds is null || kinds.Any(k => !seen.Add(k)))
                    throw Refuse("oneOf", path, "'{0}' at {1} has branches that may match the same value; only branches of different types (or distinct const/enum values) are supported. Use anyOf if overlap is fine.");
            }
        }
        var alternatives = list.Select((b, i) => Value(b, $"{path}/{i}")).ToList();
        return alternatives.Count == 1 ? alternatives[0] : "(" + string.Join(" | ", alternatives) + ")";
    }

    /// <summary>What values a oneOf branch can take, coarsely: its literal values, or its JSON types (integer counted
    /// as number); null if unknown.</summary>
    static List<string>? Kinds(JsonElement branch, bool literals)
    {
        if (branch.ValueKind != JsonValueKind.Object) return null;
        var values = branch.TryGetProperty("const", out var c) ? [c]
            : branch.TryGetProperty("enum", out var e) && e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().ToList() : null;
        if (values is not null)
            return literals ? [.. values.Select(Canonical)] : [.. values.Select(v => TypeOf(v)).Distinct()];
        if (!branch.TryGetProperty("type", out var t)) return null;
        var types = t.ValueKind == JsonValueKind.Array ? t.EnumerateArray().Select(x => x.ToString()).ToList() : [t.ToString()];
        if (branch.TryGetProperty("nullable", out var n) && n.ValueKind == JsonValueKind.True) types.Add("null");
        return [.. types.Select(x => x == "integer" ? "number" : x).Distinct()];
    }

    static string TypeOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => value.ValueKind.ToString().ToLowerInvariant(),
    };

    static string Canonical(JsonElement value) => "=" + JsonGrammarText.CompactJson(value);

    /// <summary>const/enum: one of the literal values, keeping only those of the declared type.</summary>
    string Choice(List<JsonElement> values, JsonElement schema, string path, string keyword)
    {
        foreach (var property in schema.EnumerateObject())
            if (property.Name is not ("type" or "enum" or "const" or "nullable") && !Annotations.Contains(property.Name))
                throw Refuse(property.Name, path, $"'{{0}}' beside '{keyword}' at {{1}} is not supported.");
        if (schema.TryGetProperty("const", out _) && schema.TryGetProperty("enum", out _))
            throw Refuse("enum", path, "'{0}' beside 'const' at {1} is not supported.");
        var types = schema.TryGetProperty("type", out _) ? Types(schema, path) : null;
        if (types is not null && schema.TryGetProperty("nullable", out var n) && n.ValueKind == JsonValueKind.True) types.Add("null");
        var kept = values.Where(v => types is null || types.Any(t => HasType(v, t))).Select(v => JsonGrammarText.Literal(JsonGrammarText.CompactJson(v))).Distinct().ToList();
        if (kept.Count == 0) throw Refuse(keyword, path, "'{0}' at {1} has no value of the declared type.");
        return kept.Count == 1 ? kept[0] : "(" + string.Join(" | ", kept) + ")";
    }

    static bool HasType(JsonElement value, string type) => type switch
    {
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal d) && d == decimal.Truncate(d),
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => value.ValueKind == JsonValueKind.Null,
        _ => false,
    };

    static JsonSchemaException Refuse(string keyword, string path, string format) =>
        new(keyword, path, string.Format(System.Globalization.CultureInfo.InvariantCulture, format, keyword, path));
}
