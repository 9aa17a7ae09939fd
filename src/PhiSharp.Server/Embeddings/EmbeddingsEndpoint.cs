using System.Runtime.InteropServices;
using System.Text.Json;

namespace PhiSharp.Server.Embeddings;

/// <summary>POST /v1/embeddings: OpenAI's list of embedding objects for a string or an array of strings.</summary>
static class EmbeddingsEndpoint
{
    /// <summary>OpenAI's own limit on inputs per request.</summary>
    public const int MaxInputs = 2048;

    public static async Task HandleAsync(HttpContext http, ServedModel served)
    {
        var ct = http.RequestAborted;
        var reader = await RequestReader.ReadAsync(http.Request, served.Options.MaxRequestBytes, ct);
        var embedder = served.Embedder ?? throw new ApiException(404,
            "This server has no embedding model: start it with `phi serve --embed-model PATH` to serve /v1/embeddings.", "model", "model_not_found");
        var texts = ReadInput(reader);
        bool base64 = reader.String("encoding_format") switch
        {
            null or "float" => false,
            "base64" => true,
            var other => throw ApiException.BadRequest($"'encoding_format' must be \"float\" or \"base64\"; got '{other}'.", "encoding_format", "invalid_value"),
        };
        if (reader.Integer("dimensions", 1, int.MaxValue) is { } dimensions && dimensions != embedder.Dimensions)
            throw ApiException.BadRequest($"'{embedder.Id}' makes {embedder.Dimensions}-dimensional embeddings and cannot shorten them; got dimensions {dimensions}.",
                "dimensions", "invalid_value");
        if (reader.String("model") is { } model && model != embedder.Id)
            throw new ApiException(404, $"The embedding model '{model}' does not exist; this server's is '{embedder.Id}'.", "model", "model_not_found");

        var (vectors, tokens) = await embedder.EmbedAsync(texts, ct);
        await http.Response.WriteAsJsonAsync(new
        {
            @object = "list",
            data = vectors.Select((v, i) => new { @object = "embedding", index = i, embedding = base64 ? (object)Base64(v) : v }),
            model = embedder.Id,
            usage = new { prompt_tokens = tokens, total_tokens = tokens },
        }, JsonOptions.Wire, ct);
    }

    /// <summary>The vector's float32 values, little-endian, as base64 (what OpenAI's clients decode).</summary>
    static string Base64(float[] vector)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("base64 embeddings are written little-endian");
        return Convert.ToBase64String(MemoryMarshal.AsBytes(vector.AsSpan()));
    }

    /// <summary>"input": a non-empty string, or an array of 1..2048 non-empty strings; token arrays are refused.</summary>
    static List<string> ReadInput(RequestReader r)
    {
        const string name = "input";
        switch (r.Field(name))
        {
            case null: throw ApiException.BadRequest("'input' is required.", name, "missing_required_parameter");
            case { ValueKind: JsonValueKind.String } s: return [NonEmpty(s.GetString()!, name)];
            case { ValueKind: JsonValueKind.Array } array:
                int count = array.GetArrayLength();
                if (count == 0) throw ApiException.BadRequest("'input' must hold at least one string.", name, "invalid_value");
                if (count > MaxInputs) throw new ApiException(413, $"'input' holds {count} strings; at most {MaxInputs} are taken per request.", name, "too_many_inputs");
                var texts = new List<string>(count);
                int i = 0;
                foreach (var item in array.EnumerateArray())
                {
                    string at = $"{name}[{i++}]";
                    texts.Add(item.ValueKind switch
                    {
                        JsonValueKind.String => NonEmpty(item.GetString()!, at),
                        JsonValueKind.Number or JsonValueKind.Array => throw ApiException.BadRequest(
                            "Token arrays are not supported as 'input': send the text as a string or an array of strings.", at, "invalid_type"),
                        _ => throw RequestReader.WrongType(at, "a string"),
                    });
                }
                return texts;
            default: throw RequestReader.WrongType(name, "a string or an array of strings");
        }
    }

    static string NonEmpty(string text, string param) =>
        text.Length > 0 ? text : throw ApiException.BadRequest($"'{param}' must not be empty.", param, "invalid_value");
}
