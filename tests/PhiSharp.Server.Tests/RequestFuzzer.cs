using System.Text;
using System.Text.Json.Nodes;

namespace PhiSharp.Server.Tests;

/// <summary>One fuzzed request, and a one-line description for failure messages.</summary>
public sealed record FuzzRequest(HttpMethod Method, string Path, byte[]? Body, string? ContentType, IReadOnlyList<(string Name, string Value)> Headers, string Mutation)
{
    public override string ToString()
    {
        string body = Body is null ? "no body" : Body.Length <= 300 ? Encoding.UTF8.GetString(Body) : $"{Body.Length} bytes";
        return $"{Method} {Path} [{Mutation}] Content-Type: {ContentType ?? "(none)"} · {body}";
    }
}

/// <summary>
/// Requests for every endpoint: valid ones, mutated ones (byte flips, truncation, wrong types, huge numbers, deep
/// nesting, invalid UTF-8, lone surrogates, repeated keys, oversized bodies) and random ones, with random methods,
/// content types and headers. All randomness comes from the one <see cref="Random"/>, so a seed replays a run.
/// </summary>
public sealed class RequestFuzzer(Random random, string modelId, long maxRequestBytes)
{
    static readonly string[] GetPaths = ["/v1/models", "/health", "/", "/v1/nothing", "/v1/models/", "/%ff", "/v1/models/%00"];

    static readonly string?[] ContentTypes =
    [
        "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=b", "application/json; charset=latin1",
        "application/json; charset=", "application/", ";;", "application/json;;;", "*/*", "", null,
    ];

    static readonly string[] HugeNumbers = ["1e999", "-1e999", "99999999999999999999999999999", "-9223372036854775809", "1.7976931348623157e309", "0.0000000000000000000000001", "-0"];

    public FuzzRequest Next()
    {
        var headers = RandomHeaders();
        if (random.NextDouble() < 0.15)
        {
            string path = Pick(GetPaths);
            if (random.Next(4) == 0) path = path.TrimEnd('/') + "/" + modelId;
            var method = random.Next(8) == 0 ? Pick(new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Head }) : HttpMethod.Get;
            return new FuzzRequest(method, path, null, null, headers, "get");
        }
        var (postPath, template) = ValidRequest();
        var (body, mutation) = Mutate(template);
        string? contentType = random.NextDouble() < 0.85 ? Pick(new[] { "application/json", "application/json; charset=utf-8" }) : Pick(ContentTypes);
        var postMethod = random.Next(20) == 0 ? HttpMethod.Get : HttpMethod.Post;
        return new FuzzRequest(postMethod, postPath, body, contentType, headers, mutation);
    }

    /// <summary>A valid request for one of the POST endpoints, short to generate (a few tokens).</summary>
    (string Path, JsonObject Body) ValidRequest()
    {
        bool stream = random.Next(2) == 0;
        return random.Next(3) switch
        {
            0 => ("/v1/chat/completions", new JsonObject
            {
                ["model"] = modelId,
                ["messages"] = new JsonArray(
                    new JsonObject { ["role"] = "system", ["content"] = "Be brief." },
                    new JsonObject { ["role"] = "user", ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = "hello" }) }),
                ["max_tokens"] = random.Next(1, 5),
                ["temperature"] = 0.7,
                ["top_p"] = 0.9,
                ["top_k"] = 20,
                ["seed"] = random.Next(),
                ["stop"] = new JsonArray("\n\n", "###"),
                ["stream"] = stream,
                ["stream_options"] = new JsonObject { ["include_usage"] = true },
            }),
            1 => ("/v1/completions", new JsonObject
            {
                ["prompt"] = "Once upon a time",
                ["max_tokens"] = random.Next(1, 5),
                ["stop"] = ".",
                ["stream"] = stream,
            }),
            _ => ("/v1/embeddings", new JsonObject
            {
                ["input"] = new JsonArray("hello", "world"),
                ["encoding_format"] = random.Next(2) == 0 ? "float" : "base64",
            }),
        };
    }

    (byte[] Body, string Mutation) Mutate(JsonObject template)
    {
        switch (random.Next(13))
        {
            case 0: return (Bytes(template), "valid");
            case 1: return (Bytes(WithRandomValue(template, RandomValue(depth: 0))), "wrong type");
            case 2: return (Bytes(WithoutRandomField(template)), "field dropped");
            case 3: return (FlipBytes(Bytes(template)), "byte flips");
            case 4: var b = Bytes(template); return (b[..random.Next(b.Length)], "truncated");
            case 5: return (ReplaceValueText(template, Pick(HugeNumbers)), "huge number");
            case 6: int depth = random.Next(10, 5000); return (ReplaceValueText(template, new string('[', depth) + new string(']', depth)), $"nested {depth} deep");
            case 7: return (IntoAString(template, Pick(new byte[][] { [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0x80] })), "invalid UTF-8");
            case 8: return (IntoAString(template, Encoding.ASCII.GetBytes(Pick(new[] { @"\ud800", @"\udfff", @"\ud800\ud800", @"\u0000" }))), "lone surrogate");
            case 9: return (RepeatAKey(template), "repeated key");
            case 10: return (Oversized(template), "oversized");
            case 11: var noise = new byte[random.Next(0, 2000)]; random.NextBytes(noise); return (noise, "random bytes");
            default: return (Encoding.UTF8.GetBytes(RandomValue(depth: 0)?.ToJsonString() ?? "null"), "random JSON");
        }
    }

    static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    /// <summary>Some node inside the request (a field, a nested field, an element of an array), picked at random.</summary>
    JsonNode PickNode(JsonObject root)
    {
        JsonNode node = root;
        do
        {
            var children = node switch
            {
                JsonObject o => o.Select(p => p.Value).OfType<JsonNode>().ToList(),
                JsonArray a => a.OfType<JsonNode>().ToList(),
                _ => [],
            };
            if (children.Count == 0) break;
            node = Pick(children);
        } while (random.Next(3) != 0);
        return node;
    }

    JsonObject WithRandomValue(JsonObject template, JsonNode? value)
    {
        var target = PickNode(template);
        switch (target.Parent)
        {
            case JsonObject o: o[target.GetPropertyName()] = value; break;
            case JsonArray a: a[target.GetElementIndex()] = value; break;
        }
        return template;
    }

    JsonObject WithoutRandomField(JsonObject template)
    {
        if (PickNode(template) is { Parent: JsonObject o } target) o.Remove(target.GetPropertyName());
        return template;
    }

    byte[] FlipBytes(byte[] body)
    {
        for (int n = random.Next(1, 5); n > 0; n--) body[random.Next(body.Length)] = (byte)random.Next(256);
        return body;
    }

    /// <summary>The request with one value's JSON text replaced by <paramref name="text"/>, which JsonNode could not hold.</summary>
    byte[] ReplaceValueText(JsonObject template, string text)
    {
        WithRandomValue(template, JsonValue.Create("FUZZ-MARKER"));
        return Encoding.UTF8.GetBytes(template.ToJsonString().Replace("\"FUZZ-MARKER\"", text));
    }

    /// <summary>The request with <paramref name="bad"/> inserted just after the opening quote of a random string (a key or a value).</summary>
    byte[] IntoAString(JsonObject template, byte[] bad)
    {
        var body = Bytes(template);
        var quotes = Enumerable.Range(0, body.Length).Where(i => body[i] == '"').ToList();
        int at = Pick(quotes) + 1;
        return [.. body[..at], .. bad, .. body[at..]];
    }

    /// <summary>The request with one of its top-level keys given again, after it, with another value.</summary>
    byte[] RepeatAKey(JsonObject template)
    {
        string key = Pick(template.Select(p => p.Key).ToList());
        string json = template.ToJsonString();
        return Encoding.UTF8.GetBytes(json[..^1] + $",\"{key}\":{RandomValue(depth: 0)?.ToJsonString() ?? "null"}}}");
    }

    /// <summary>A valid request padded past the server's body limit (413), or to just under it.</summary>
    byte[] Oversized(JsonObject template)
    {
        long size = random.Next(2) == 0 ? maxRequestBytes + random.Next(1, 50_000) : maxRequestBytes - 200;
        template["padding"] = new string('a', (int)size);
        return Bytes(template);
    }

    JsonNode? RandomValue(int depth) => random.Next(depth > 3 ? 5 : 7) switch
    {
        0 => null,
        1 => random.Next(2) == 0,
        2 => random.NextDouble() * Math.Pow(10, random.Next(-10, 300)) * (random.Next(2) == 0 ? 1 : -1),
        3 => random.Next(int.MinValue, int.MaxValue),
        4 => RandomString(),
        5 => new JsonArray(Enumerable.Range(0, random.Next(0, 6)).Select(_ => RandomValue(depth + 1)).ToArray()),
        _ => new JsonObject(Enumerable.Range(0, random.Next(0, 4)).Select(i => KeyValuePair.Create(RandomString() + i, RandomValue(depth + 1)))),
    };

    string RandomString() => Pick(new[] { "", "user", "assistant", "text", "\u0000", "🙂", "\n\n", new string('x', random.Next(0, 3000)), modelId, "base64", "lexical" });

    IReadOnlyList<(string, string)> RandomHeaders()
    {
        var headers = new List<(string, string)>();
        if (random.Next(4) == 0) headers.Add(("Authorization", Pick(new[] { "Bearer", "Bearer ", "Basic abc", "Bearer " + new string('k', 5000), "x" })));
        if (random.Next(4) == 0) headers.Add(("Accept", Pick(new[] { "text/event-stream", "*/*", "application/xml", "" })));
        if (random.Next(8) == 0) headers.Add(("Content-Encoding", "gzip"));
        if (random.Next(8) == 0) headers.Add(("X-Fuzz", new string('h', random.Next(0, 4000))));
        return headers;
    }

    T Pick<T>(IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
