using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using PhiSharp.Tests.Models;

namespace PhiSharp.Server.Tests;

/// <summary>The tiny Phi-3 (generic JSON replies) and the tiny Phi-4-mini-like model (tool-call tokens), served with room
/// for a tool list in the prompt.</summary>
public sealed class ToolServers : IAsyncLifetime
{
    public TestServer Phi3 { get; private set; } = null!;
    public TestServer Phi4MiniLike { get; private set; } = null!;

    public TestServer Of(bool phi4MiniLike) => phi4MiniLike ? Phi4MiniLike : Phi3;

    public async Task InitializeAsync()
    {
        Phi3 = await TestServer.StartAsync(model: o => o.ContextLength = 4096);
        Phi4MiniLike = await TestServer.StartAsync(model: o =>
        {
            TinyPhi3Gguf.Phi4MiniLike(o);
            o.ContextLength = 4096;
        });
    }

    public async Task DisposeAsync()
    {
        await Phi3.DisposeAsync();
        await Phi4MiniLike.DisposeAsync();
    }
}

/// <summary>
/// "tools" through the wire. The models are random, so calls that name a declared tool with arguments valid for its
/// schema (JsonSchema.Net) come from the constraint alone; streamed calls follow OpenAI's delta protocol.
/// </summary>
public sealed class ToolCallTests(ToolServers servers) : IClassFixture<ToolServers>
{
    static readonly JsonNode WeatherSchema = JsonNode.Parse("""
        {"type": "object", "properties": {"city": {"type": "string", "maxLength": 12}, "unit": {"enum": ["C", "F"]}}, "required": ["city", "unit"]}
        """)!;
    static readonly JsonNode TimeSchema = JsonNode.Parse("""{"type": "object", "properties": {"zone": {"type": "integer", "minimum": -12, "maximum": 14}}, "required": ["zone"]}""")!;

    static object[] Tools(JsonNode? timeSchema = null) =>
    [
        new { type = "function", function = new { name = "get_weather", description = "Weather in a city", parameters = WeatherSchema } },
        new { type = "function", function = new { name = "get_time", description = "Time in a zone", parameters = timeSchema ?? TimeSchema } },
    ];

    static Dictionary<string, object?> Request(object? toolChoice, bool stream = false, bool parallel = true, object[]? messages = null, object[]? tools = null) => new()
    {
        ["model"] = "tiny-phi3",
        ["messages"] = messages ?? [new { role = "user", content = "Weather in Paris?" }],
        ["tools"] = tools ?? Tools(),
        ["tool_choice"] = toolChoice,
        ["parallel_tool_calls"] = parallel,
        ["max_tokens"] = 150,
        ["temperature"] = 1.5,
        ["seed"] = 3,
        ["stream"] = stream,
    };

    static void AssertValid(string name, string arguments)
    {
        var schema = name switch { "get_weather" => WeatherSchema, "get_time" => TimeSchema, _ => throw new Xunit.Sdk.XunitException($"undeclared tool '{name}'") };
        var result = JsonSchema.FromText(schema.ToJsonString()).Evaluate(JsonDocument.Parse(arguments).RootElement);
        Assert.True(result.IsValid, arguments);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Required_calls_name_declared_tools_with_valid_arguments(bool phi4MiniLike)
    {
        var (status, body) = await servers.Of(phi4MiniLike).PostJsonAsync("/v1/chat/completions", Request("required"));
        Assert.True(status == 200, body.ToString());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var message = choice.GetProperty("message");
        Assert.Equal(JsonValueKind.Null, message.GetProperty("content").ValueKind);
        var calls = message.GetProperty("tool_calls").EnumerateArray().ToList();
        Assert.NotEmpty(calls);
        foreach (var call in calls)
        {
            Assert.Equal("function", call.GetProperty("type").GetString());
            Assert.StartsWith("call_", call.GetProperty("id").GetString());
            var f = call.GetProperty("function");
            AssertValid(f.GetProperty("name").GetString()!, f.GetProperty("arguments").GetString()!);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Streamed_calls_come_as_index_id_and_name_then_argument_pieces(bool phi4MiniLike)
    {
        var choice = new { type = "function", function = new { name = "get_time" } };
        using var response = await servers.Of(phi4MiniLike).PostAsync("/v1/chat/completions", JsonSerializer.Serialize(Request(choice, stream: true, parallel: false)));
        Assert.Equal(200, (int)response.StatusCode);
        var arguments = new Dictionary<int, StringBuilder>();
        var names = new Dictionary<int, string>();
        string? finish = null;
        foreach (string data in EventStream.Parse(await response.Content.ReadAsStringAsync()))
        {
            if (data == "[DONE]") break;
            var c = JsonDocument.Parse(data).RootElement.GetProperty("choices")[0];
            if (c.GetProperty("finish_reason").ValueKind == JsonValueKind.String) finish = c.GetProperty("finish_reason").GetString();
            if (!c.GetProperty("delta").TryGetProperty("tool_calls", out var deltas)) continue;
            foreach (var d in deltas.EnumerateArray())
            {
                int index = d.GetProperty("index").GetInt32();
                var f = d.GetProperty("function");
                if (!arguments.ContainsKey(index))
                {
                    // The first delta of a call: its id, type and name.
                    Assert.StartsWith("call_", d.GetProperty("id").GetString());
                    Assert.Equal("function", d.GetProperty("type").GetString());
                    names[index] = f.GetProperty("name").GetString()!;
                    arguments[index] = new StringBuilder();
                }
                else Assert.False(d.TryGetProperty("id", out _));
                arguments[index].Append(f.GetProperty("arguments").GetString());
            }
        }
        Assert.Equal("tool_calls", finish);
        Assert.Equal([0], arguments.Keys);
        Assert.Equal("get_time", names[0]);
        AssertValid("get_time", arguments[0].ToString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_history_of_calls_and_tool_results_is_taken_and_tool_choice_none_answers_in_text(bool phi4MiniLike)
    {
        object[] history =
        [
            new { role = "user", content = "Weather in Paris?" },
            new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = "get_weather", arguments = """{"city": "Paris", "unit": "C"}""" } } } },
            new { role = "tool", tool_call_id = "call_1", content = """{"temp": 18}""" },
        ];
        var request = Request("none", messages: history);
        request["max_tokens"] = 20;
        var (status, body) = await servers.Of(phi4MiniLike).PostJsonAsync("/v1/chat/completions", request);
        Assert.True(status == 200, body.ToString());
        var choice = body.GetProperty("choices")[0];
        Assert.NotEqual("tool_calls", choice.GetProperty("finish_reason").GetString());
        Assert.False(choice.GetProperty("message").TryGetProperty("tool_calls", out _));
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
    }

    [Fact]
    public async Task A_parameter_schema_the_compiler_cannot_take_is_a_400_naming_the_keyword_and_the_tool()
    {
        var tools = Tools(JsonNode.Parse("""{"type": "object", "properties": {"zone": {"type": "string", "pattern": "^[A-Z]+$"}}}"""));
        var (status, body) = await servers.Phi3.PostJsonAsync("/v1/chat/completions", Request("auto", tools: tools));
        Assert.Equal(400, status);
        var error = body.GetProperty("error");
        Assert.Equal("tools[1].function.parameters", error.GetProperty("param").GetString());
        Assert.Contains("'pattern'", error.GetProperty("message").GetString());
        Assert.Contains("#/properties/zone", error.GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("""{"type": "function", "function": {"name": "launch"}}""", "tool_choice", "'launch' is not one of the tools")]
    [InlineData("\"sometimes\"", "tool_choice", "must be auto, none, required")]
    public async Task A_bad_tool_choice_is_a_400(string toolChoice, string param, string message)
    {
        var (status, body) = await servers.Phi3.PostJsonAsync("/v1/chat/completions", Request(JsonNode.Parse(toolChoice)));
        Assert.Equal(400, status);
        Assert.Equal(param, body.GetProperty("error").GetProperty("param").GetString());
        Assert.Contains(message, body.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_max_tokens_too_small_for_a_required_call_is_a_400(bool phi4MiniLike)
    {
        var request = Request("required");
        request["max_tokens"] = 10;
        var (status, body) = await servers.Of(phi4MiniLike).PostJsonAsync("/v1/chat/completions", request);
        Assert.Equal(400, status);
        Assert.Equal("max_tokens_too_small", body.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_tool_message_without_its_call_id_is_a_400()
    {
        var request = Request("auto", messages: [new { role = "user", content = "hi" }, new { role = "tool", content = "18" }]);
        var (status, body) = await servers.Phi3.PostJsonAsync("/v1/chat/completions", request);
        Assert.Equal(400, status);
        Assert.Equal("messages[1].tool_call_id", body.GetProperty("error").GetProperty("param").GetString());
    }
}
