using System.Text.Json;
using Microsoft.Net.Http.Headers;

namespace PhiSharp.Server;

/// <summary>
/// Reads a JSON request body field by field, so each malformed, missing, mistyped or out-of-range field becomes a
/// 400 that names it (OpenAI's "param"), rather than a model binder's 500 or a silent default.
/// </summary>
sealed class RequestReader
{
    readonly JsonElement _root;

    RequestReader(JsonElement root) => _root = root;

    /// <summary>The most characters in one stop string: a delimiter, and each is matched against the text after every token.</summary>
    public const int MaxStopLength = 256;

    /// <summary>
    /// Reads the body; not sent as application/json is 415, too large is 413; not JSON, not an object, not valid
    /// Unicode or with a key given twice is 400.
    /// </summary>
    public static async Task<RequestReader> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        RequireJsonContentType(request);
        if (request.ContentLength > maxBytes) throw TooLarge(maxBytes);
        using var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes) throw TooLarge(maxBytes);
            buffer.Write(chunk, 0, read);
        }
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"The request body is not valid JSON: {e.Message}", code: "invalid_json");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw ApiException.BadRequest("The request body must be a JSON object.", code: "invalid_json");
        WellFormedJson.Check(document.RootElement);
        return new RequestReader(document.RootElement.Clone());
    }

    /// <summary>
    /// Only application/json (UTF-8) is read. A web page can send text/plain or a form to this server without asking
    /// (no CORS preflight), but not application/json, so without an API key this keeps other sites' pages out.
    /// </summary>
    static void RequireJsonContentType(HttpRequest request)
    {
        if (MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            && type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            && (!type.Charset.HasValue || HeaderUtilities.RemoveQuotes(type.Charset).Equals("utf-8", StringComparison.OrdinalIgnoreCase)))
            return;
        throw new ApiException(415, $"The request body must be sent as 'Content-Type: application/json' (UTF-8); got {(request.ContentType is { } given ? $"'{given}'" : "none")}.",
            code: "unsupported_media_type");
    }

    static ApiException TooLarge(long maxBytes) => new(413, $"The request body is larger than {maxBytes} bytes.", code: "request_too_large");

    public JsonElement Root => _root;

    /// <summary>The field, or null when it is absent or JSON null (OpenAI treats both as "not given").</summary>
    public JsonElement? Field(string name) =>
        _root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public string? String(string name) => Field(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        _ => throw WrongType(name, "a string"),
    };

    public bool? Bool(string name) => Field(name) switch
    {
        null => null,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw WrongType(name, "a boolean"),
    };

    public double? Number(string name, double min, double max)
    {
        if (Field(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number) throw WrongType(name, "a number");
        double x = v.GetDouble();
        if (!(x >= min && x <= max)) throw ApiException.BadRequest($"'{name}' must be between {min} and {max}; got {x}.", name, "invalid_value");
        return x;
    }

    public long? Integer(string name, long min, long max)
    {
        if (Field(name) is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt64(out long x)) throw WrongType(name, "an integer");
        if (x < min || x > max) throw ApiException.BadRequest($"'{name}' must be between {min} and {max}; got {x}.", name, "invalid_value");
        return x;
    }

    /// <summary>"stop": a string or an array of at most four strings, each of 1..<see cref="MaxStopLength"/> characters.</summary>
    public IReadOnlyList<string> StopStrings()
    {
        const string name = "stop";
        switch (Field(name))
        {
            case null: return [];
            case { ValueKind: JsonValueKind.String } v: return [StopString(v, name)];
            case { ValueKind: JsonValueKind.Array } v:
                if (v.GetArrayLength() > 4) throw ApiException.BadRequest("'stop' takes at most 4 sequences.", name, "invalid_value");
                return v.EnumerateArray().Select((s, i) => StopString(s, $"{name}[{i}]")).ToArray();
            default: throw WrongType(name, "a string or an array of strings");
        }
    }

    static string StopString(JsonElement value, string param)
    {
        if (value.ValueKind != JsonValueKind.String) throw WrongType(param, "a string");
        string stop = value.GetString()!;
        return stop.Length is > 0 and <= MaxStopLength ? stop
            : throw ApiException.BadRequest($"'{param}' must hold 1 to {MaxStopLength} characters; got {stop.Length}.", param, "invalid_value");
    }

    public static ApiException WrongType(string name, string expected) =>
        ApiException.BadRequest($"'{name}' must be {expected}.", name, "invalid_type");
}
