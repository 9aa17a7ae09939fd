using System.Text.Json.Nodes;

namespace PhiSharp.Tests.Generation.Constraints;

/// <summary>
/// Random JSON schemas over the supported subset (docs/TOOLS.md): every keyword the compiler takes appears, nested up to
/// three levels, with bounds that may be tight, negative or one-sided, optional and required properties, prefixItems,
/// anyOf, oneOf of different types, nullable type arrays, and $ref into $defs (recursive too).
/// </summary>
internal sealed class RandomSchemas(int seed)
{
    readonly Random _r = new(seed);

    public JsonObject Next()
    {
        var defs = new JsonObject();
        var schema = Schema(0, defs);
        if (defs.Count > 0) schema["$defs"] = defs;
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        return schema;
    }

    JsonObject Schema(int depth, JsonObject defs)
    {
        int pick = _r.Next(depth >= 3 ? 7 : 14);
        return pick switch
        {
            0 => String(),
            1 => Integer(),
            2 => Number(),
            3 => new JsonObject { ["type"] = "boolean" },
            4 => Enum(),
            5 => new JsonObject { ["const"] = Literal() },
            6 => Nullable(),
            7 or 8 or 9 => Object(depth, defs),
            10 or 11 => Array(depth, defs),
            12 => AnyOf(depth, defs),
            _ => _r.Next(2) == 0 ? OneOf(depth, defs) : Reference(depth, defs),
        };
    }

    JsonObject String()
    {
        var s = new JsonObject { ["type"] = "string" };
        if (_r.Next(2) == 0) return s;
        int min = _r.Next(4), max = min + _r.Next(6);
        if (_r.Next(3) != 0) s["minLength"] = min;
        if (_r.Next(3) != 0) s["maxLength"] = max;
        return s;
    }

    JsonObject Integer()
    {
        var s = new JsonObject { ["type"] = "integer" };
        long lo = _r.Next(-1500, 1500), hi = lo + _r.Next(0, 3000);
        switch (_r.Next(5))
        {
            case 0: break;
            case 1: s["minimum"] = lo; break;
            case 2: s["maximum"] = hi; break;
            case 3: s["minimum"] = lo; s["maximum"] = hi; break;
            default: s["exclusiveMinimum"] = lo - 1; s["exclusiveMaximum"] = hi + 1; break;
        }
        return s;
    }

    JsonObject Number()
    {
        var s = new JsonObject { ["type"] = "number" };
        double lo = Math.Round(_r.NextDouble() * 200 - 100, 2), hi = lo + 1 + Math.Round(_r.NextDouble() * 50, 2);
        switch (_r.Next(4))
        {
            case 0: break;
            case 1: s["minimum"] = lo; break;
            case 2: s["maximum"] = hi; break;
            default: s["exclusiveMinimum"] = lo; s["maximum"] = hi; break;
        }
        return s;
    }

    JsonNode Literal() => _r.Next(6) switch
    {
        0 => JsonValue.Create(_r.Next(-50, 50)),
        1 => JsonValue.Create(new[] { "red", "grün", "蓝", "a \"quoted\" \\ word", "", "tab\there" }[_r.Next(6)]),
        2 => JsonValue.Create(_r.Next(2) == 0),
        3 => null!,
        4 => new JsonArray(1, "two", null),
        _ => new JsonObject { ["k"] = _r.Next(10), ["nested"] = new JsonObject { ["x"] = "y" } },
    };

    JsonObject Enum()
    {
        var values = new JsonArray();
        var seen = new HashSet<string>();
        for (int i = 0, n = 1 + _r.Next(4); i < n; i++)
        {
            var v = Literal();
            if (seen.Add(v?.ToJsonString() ?? "null")) values.Add(v);
        }
        return new JsonObject { ["enum"] = values };
    }

    JsonObject Nullable()
    {
        var inner = _r.Next(3) switch { 0 => String(), 1 => Integer(), _ => Number() };
        inner["type"] = new JsonArray(inner["type"]!.GetValue<string>(), "null");
        return inner;
    }

    JsonObject Object(int depth, JsonObject defs)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        string[] names = ["id", "name", "tags", "é", "a b", "x/y", "count", "ok"];
        foreach (string name in names.OrderBy(_ => _r.Next()).Take(_r.Next(5)))
        {
            properties[name] = Schema(depth + 1, defs);
            if (_r.Next(2) == 0) required.Add(name);
        }
        var s = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (required.Count > 0) s["required"] = required;
        if (_r.Next(2) == 0) s["additionalProperties"] = false;
        return s;
    }

    JsonObject Array(int depth, JsonObject defs)
    {
        var s = new JsonObject { ["type"] = "array" };
        if (_r.Next(3) == 0)
        {
            var prefix = new JsonArray();
            for (int i = 0, n = 1 + _r.Next(3); i < n; i++) prefix.Add(Schema(depth + 1, defs));
            s["prefixItems"] = prefix;
            if (_r.Next(2) == 0) s["items"] = false;
            else s["items"] = Schema(depth + 1, defs);
        }
        else if (_r.Next(4) != 0) s["items"] = Schema(depth + 1, defs);
        int min = _r.Next(3);
        if (s["items"] is JsonValue && s["prefixItems"] is JsonArray p) min = Math.Min(min, p.Count);
        if (_r.Next(2) == 0) s["minItems"] = min;
        if (_r.Next(2) == 0) s["maxItems"] = min + _r.Next(3);
        return s;
    }

    JsonObject AnyOf(int depth, JsonObject defs)
    {
        var branches = new JsonArray();
        for (int i = 0, n = 2 + _r.Next(2); i < n; i++) branches.Add(Schema(depth + 1, defs));
        return new JsonObject { ["anyOf"] = branches };
    }

    JsonObject OneOf(int depth, JsonObject defs)
    {
        var branches = new JsonArray(String(), new JsonObject { ["type"] = "boolean" }, Object(depth + 1, defs));
        if (_r.Next(2) == 0) branches.Add(Integer());
        return new JsonObject { ["oneOf"] = branches };
    }

    /// <summary>A $ref into $defs; a third of them is a recursive list node (value, next or null).</summary>
    JsonObject Reference(int depth, JsonObject defs)
    {
        string name = $"def{defs.Count}";
        defs[name] = null;
        defs[name] = _r.Next(3) == 0
            ? new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject { ["value"] = Integer(), ["next"] = new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["$ref"] = $"#/$defs/{name}" }, new JsonObject { ["type"] = "null" }) } },
                ["required"] = new JsonArray("value"),
            }
            : Schema(depth + 1, defs);
        return new JsonObject { ["$ref"] = $"#/$defs/{name}" };
    }
}
