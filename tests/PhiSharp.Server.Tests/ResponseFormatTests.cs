using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PhiSharp.Generation.Constraints;
using PhiSharp.Tests.Generation.Constraints;

namespace PhiSharp.Server.Tests;

/// <summary>response_format through the wire: the tiny random model's replies parse and validate against the requested
/// schema (JsonSchema.Net), streamed or not; what the compiler cannot take is a 400 that names the keyword.</summary>
public sealed class ResponseFormatTests(SharedServer shared) : IClassFixture<SharedServer>
{
    readonly TestServer _server = shared.Server;

    static object Request(object responseFormat, int maxTokens, ulong seed = 1, bool stream = false) => new
    {
        model = "tiny-phi3",
        messages = new object[] { new { role = "user", content = "json" } },
        max_tokens = maxTokens,
        temperature = 1.5,
        seed,
        stream,
        response_format = responseFormat,
    };

    static object Schema(JsonNode schema, bool strict = true) =>
        new { type = "json_schema", json_schema = new { name = "answer", strict, schema } };

    async Task<(string Text, string Finish)> CompleteAsync(object responseFormat, int maxTokens, ulong seed, bool stream)
    {
        var request = Request(responseFormat, maxTokens, seed, stream);
        if (!stream)
        {
            var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", request);
            Assert.True(status == 200, body.ToString());
            var choice = body.GetProperty("choices")[0];
            return (choice.GetProperty("message").GetProperty("content").GetString()!, choice.GetProperty("finish_reason").GetString()!);
        }
        using var response = await _server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(request));
        Assert.Equal(200, (int)response.StatusCode);
        var text = new StringBuilder();
        string finish = "";
        foreach (string data in EventStream.Parse(await response.Content.ReadAsStringAsync()))
        {
            if (data == "[DONE]") break;
            var choice = JsonDocument.Parse(data).RootElement.GetProperty("choices")[0];
            if (choice.GetProperty("delta").TryGetProperty("content", out var c)) text.Append(c.GetString());
            if (choice.GetProperty("finish_reason").ValueKind == JsonValueKind.String) finish = choice.GetProperty("finish_reason").GetString()!;
        }
        return (text.ToString(), finish);
    }

    [Fact]
    public async Task Replies_for_100_random_schemas_validate_streamed_or_not()
    {
        var schemas = new RandomSchemas(seed: 77);
        int served = 0;
        for (int n = 0; n < 100; n++)
        {
            var schema = schemas.Next();
            string schemaText = schema.ToJsonString();
            int shortest = _server.Model.Generator.ShortestCompletion(JsonSchemaGrammar.FromSchema(schemaText));
            if (shortest > 150) continue;   // the test server's context is 256 tokens
            served++;
            var (text, finish) = await CompleteAsync(Schema(schema), shortest + n % 3 * 6, (ulong)n, stream: n % 2 == 1);
            using var document = JsonDocument.Parse(text);
            var result = JsonSchema.FromText(schemaText).Evaluate(document.RootElement);
            Assert.True(result.IsValid, $"schema {schemaText}\noutput {text}");
            Assert.Contains(finish, new[] { "stop", "length" });
        }
        Assert.True(served >= 80, $"only {served} schemas fit the test context");
    }

    [Fact]
    public async Task Json_object_mode_gives_a_JSON_object()
    {
        for (ulong seed = 0; seed < 5; seed++)
        {
            var (text, _) = await CompleteAsync(new { type = "json_object" }, 12, seed, stream: seed % 2 == 0);
            using var document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }
    }

    [Fact]
    public async Task A_budget_that_runs_out_still_closes_the_JSON_and_reports_length()
    {
        var schema = JsonNode.Parse("""{"type":"object","properties":{"text":{"type":"string"}},"required":["text"]}""")!;
        int shortest = _server.Model.Generator.ShortestCompletion(JsonSchemaGrammar.FromSchema(schema.ToJsonString()));
        int lengths = 0;
        for (ulong seed = 0; seed < 6; seed++)
        {
            var (text, finish) = await CompleteAsync(Schema(schema), shortest + 6, seed, stream: seed % 2 == 0);
            Assert.Equal(JsonValueKind.String, JsonDocument.Parse(text).RootElement.GetProperty("text").ValueKind);
            if (finish == "length") lengths++;
        }
        Assert.True(lengths > 0);
    }

    [Theory]
    [InlineData("""{"type":"string","pattern":"^a+$"}""", "'pattern' at #", "response_format.json_schema.schema")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","format":"date-time"}}}""", "'format' at #/properties/a", "response_format.json_schema.schema")]
    [InlineData("""{"allOf":[{"type":"string"}]}""", "'allOf'", "response_format.json_schema.schema")]
    [InlineData("""{"$ref":"https://example.com/s.json"}""", "only references inside the schema", "response_format.json_schema.schema")]
    public async Task An_unsupported_schema_is_a_400_that_names_the_keyword(string schema, string message, string param)
    {
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", Request(Schema(JsonNode.Parse(schema)!), 50));
        Assert.Equal(400, status);
        var error = body.GetProperty("error");
        Assert.Contains(message, error.GetProperty("message").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
    }

    [Fact]
    public async Task Max_tokens_below_the_shortest_valid_output_is_a_400_that_says_so()
    {
        var schema = JsonNode.Parse("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""")!;
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", Request(Schema(schema), 5));
        Assert.Equal(400, status);
        Assert.Contains("shortest valid output needs up to 19", body.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal("max_tokens", body.GetProperty("error").GetProperty("param").GetString());
    }

    [Theory]
    [InlineData("""{"type":"xml"}""", "response_format.type")]
    [InlineData("""{"type":"json_schema"}""", "response_format.json_schema")]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"a"}}""", "response_format.json_schema.schema")]
    [InlineData("""{"type":"json_schema","json_schema":{"name":"a","strict":"yes","schema":{}}}""", "response_format.json_schema.strict")]
    [InlineData("\"json\"", "response_format")]
    public async Task A_malformed_response_format_is_a_400_that_names_the_field(string format, string param)
    {
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", Request(JsonNode.Parse(format)!, 50));
        Assert.Equal(400, status);
        Assert.Equal(param, body.GetProperty("error").GetProperty("param").GetString());
    }
}
