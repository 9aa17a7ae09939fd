using System.Text.Json;
using PhiSharp.Models.Bert;
using PhiSharp.Tests;

namespace PhiSharp.Server.Tests;

/// <summary>One server with the tiny random BERT fixture as its --embed-model, shared by a class's tests.</summary>
public sealed class EmbeddingServer : IAsyncLifetime
{
    public static string ModelPath => Fixtures.Path("embeddings", "bert.gguf");

    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync(embedModel: ModelPath);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>POST /v1/embeddings: OpenAI's wire shape, the library's vectors, and an OpenAI error for each bad request.</summary>
public sealed class EmbeddingsTests(EmbeddingServer shared) : IClassFixture<EmbeddingServer>
{
    readonly TestServer _server = shared.Server;

    static readonly string[] Texts = ["The quick brown fox jumps over the lazy dog.", "hello", "Embeddings, served over HTTP!"];

    [Fact]
    public async Task An_array_of_strings_gets_OpenAIs_shape_and_exactly_the_librarys_vectors()
    {
        var (status, body) = await _server.PostJsonAsync("/v1/embeddings", new { input = Texts, model = "bert" });
        Assert.Equal(200, status);
        Assert.Equal(["object", "data", "model", "usage"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal("bert", body.GetProperty("model").GetString());

        using var library = BertEmbeddingGenerator.Load(EmbeddingServer.ModelPath, threads: 1);
        var data = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(Texts.Length, data.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(["object", "index", "embedding"], data[i].EnumerateObject().Select(p => p.Name));
            Assert.Equal("embedding", data[i].GetProperty("object").GetString());
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            var served = data[i].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
            // Exact: the same code on the same input, and JSON writes a float in the shortest form that reads back to it.
            Assert.Equal(library.Embed(Texts[i]), served);
        }

        int tokens = Texts.Sum(t => library.Tokenize(t).Length);
        var usage = body.GetProperty("usage");
        Assert.Equal(["prompt_tokens", "total_tokens"], usage.EnumerateObject().Select(p => p.Name));
        Assert.Equal(tokens, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(tokens, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task A_single_string_and_base64_give_the_same_vector_as_floats()
    {
        var (_, floats) = await _server.PostJsonAsync("/v1/embeddings", new { input = "hello" });
        var (status, encoded) = await _server.PostJsonAsync("/v1/embeddings", new { input = "hello", encoding_format = "base64" });
        Assert.Equal(200, status);
        var expected = floats.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        Assert.Equal(64, expected.Length); // the fixture's hidden size
        byte[] bytes = Convert.FromBase64String(encoded.GetProperty("data")[0].GetProperty("embedding").GetString()!);
        var decoded = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, decoded, 0, bytes.Length); // little-endian float32, as OpenAI's clients decode it
        Assert.Equal(expected, decoded);
    }

    [Fact]
    public async Task The_embedding_model_is_listed_with_the_chat_model_and_in_health()
    {
        var models = JsonDocument.Parse(await _server.Http.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal(["tiny-phi3", "bert"], models.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.Equal("bert", JsonDocument.Parse(await _server.Http.GetStringAsync("/v1/models/bert")).RootElement.GetProperty("id").GetString());
        var health = JsonDocument.Parse(await _server.Http.GetStringAsync("/health")).RootElement;
        Assert.Equal("bert", health.GetProperty("embedding_model").GetString());
    }

    public static TheoryData<string, int, string?, string?> Cases => new()
    {
        // body, status, param, code
        { "{}", 400, "input", "missing_required_parameter" },
        { """{"input": null}""", 400, "input", "missing_required_parameter" },
        { """{"input": ""}""", 400, "input", "invalid_value" },
        { """{"input": []}""", 400, "input", "invalid_value" },
        { """{"input": ["a", ""]}""", 400, "input[1]", "invalid_value" },
        { """{"input": 5}""", 400, "input", "invalid_type" },
        { """{"input": {"text": "a"}}""", 400, "input", "invalid_type" },
        { """{"input": ["a", true]}""", 400, "input[1]", "invalid_type" },
        { """{"input": [1, 2, 3]}""", 400, "input[0]", "invalid_type" },
        { """{"input": [[1, 2], [3]]}""", 400, "input[0]", "invalid_type" },
        { """{"input": "a", "encoding_format": "int8"}""", 400, "encoding_format", "invalid_value" },
        { """{"input": "a", "encoding_format": 1}""", 400, "encoding_format", "invalid_type" },
        { """{"input": "a", "dimensions": 32}""", 400, "dimensions", "invalid_value" },
        { """{"input": "a", "model": "tiny-phi3"}""", 404, "model", "model_not_found" },
        { "{nope", 400, null, "invalid_json" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_request_gets_its_status_and_an_OpenAI_error(string body, int status, string? param, string? code)
    {
        using var response = await _server.PostAsync("/v1/embeddings", body);
        await ErrorTests.AssertError(response, status, param, code);
    }

    [Fact]
    public async Task Token_arrays_are_refused_with_a_message_that_says_to_send_text()
    {
        var (_, body) = await _server.PostJsonAsync("/v1/embeddings", new { input = new[] { 101, 102 } });
        Assert.Contains("Token arrays are not supported", body.GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task More_inputs_than_the_limit_is_413()
    {
        var (status, body) = await _server.PostJsonAsync("/v1/embeddings", new { input = Enumerable.Repeat("a", 2049).ToArray() });
        Assert.Equal(413, status);
        Assert.Equal("too_many_inputs", body.GetProperty("error").GetProperty("code").GetString());
    }
}

/// <summary>A server started without --embed-model.</summary>
public sealed class EmbeddingsWithoutModelTests(SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task Embeddings_are_404_with_a_message_naming_the_flag()
    {
        using var response = await shared.Server.PostAsync("/v1/embeddings", """{"input": "hello"}""");
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("--embed-model", text);
        using var again = await shared.Server.PostAsync("/v1/embeddings", """{"input": "hello"}""");
        await ErrorTests.AssertError(again, 404, "model", "model_not_found");
    }
}
