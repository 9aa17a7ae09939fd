using System.Text.Json;

namespace PhiSharp.Server;

/// <summary>
/// What JsonDocument accepts but a request must not hold: text that is not valid Unicode (invalid UTF-8 bytes, a
/// lone surrogate escape such as "\ud800"), which would fail later wherever the string is read, and a key given twice
/// in one object, which parsers resolve differently (first wins, last wins), so a proxy and this server could disagree
/// on what was asked. Each is a 400 naming the field, as RequestReader names it ("messages[0].content").
/// </summary>
static class WellFormedJson
{
    public static void Check(JsonElement element, string path = "")
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                Text(element, path);
                break;
            case JsonValueKind.Array:
                int i = 0;
                foreach (var item in element.EnumerateArray()) Check(item, $"{path}[{i++}]");
                break;
            case JsonValueKind.Object:
                var keys = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    string name = Key(property, path);
                    string at = path.Length == 0 ? name : $"{path}.{name}";
                    if (!keys.Add(name))
                        throw ApiException.BadRequest($"The key '{at}' is given twice; each key may appear once in an object.", at, "duplicate_key");
                    Check(property.Value, at);
                }
                break;
        }
    }

    static void Text(JsonElement element, string path)
    {
        try
        {
            element.GetString();
        }
        catch (InvalidOperationException)
        {
            throw ApiException.BadRequest($"'{path}' is not valid Unicode text (invalid UTF-8, or a lone surrogate escape such as \\ud800).",
                path, "invalid_unicode");
        }
    }

    static string Key(JsonProperty property, string path)
    {
        try
        {
            return property.Name;
        }
        catch (InvalidOperationException)
        {
            string where = path.Length == 0 ? "the request body" : $"'{path}'";
            throw ApiException.BadRequest($"A key in {where} is not valid Unicode text (invalid UTF-8, or a lone surrogate escape such as \\ud800).",
                path.Length == 0 ? null : path, "invalid_unicode");
        }
    }
}
