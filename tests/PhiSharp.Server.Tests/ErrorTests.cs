using System.Text.Json;

namespace PhiSharp.Server.Tests;

/// <summary>Every client mistake gets its 4xx status and OpenAI's error object, never a 500.</summary>
public sealed class ErrorTests(SharedServer shared) : IClassFixture<SharedServer>
{
    readonly TestServer _server = shared.Server;

    const string User = """[{"role": "user", "content": "hello"}]""";

    public static TheoryData<string, string, int, string?, string?> Cases => new()
    {
        // path, body, status, param, code
        { "/v1/chat/completions", "{not json", 400, null, "invalid_json" },
        { "/v1/chat/completions", "[1, 2]", 400, null, "invalid_json" },
        { "/v1/chat/completions", "{}", 400, "messages", "missing_required_parameter" },
        { "/v1/chat/completions", """{"messages": "hello"}""", 400, "messages", "invalid_type" },
        { "/v1/chat/completions", """{"messages": []}""", 400, "messages", "invalid_value" },
        { "/v1/chat/completions", """{"messages": [{"content": "hi"}]}""", 400, "messages[0].role", "invalid_type" },
        { "/v1/chat/completions", """{"messages": [{"role": "wizard", "content": "hi"}]}""", 400, "messages[0].role", "invalid_value" },
        { "/v1/chat/completions", """{"messages": [{"role": "user"}]}""", 400, "messages[0].content", "missing_required_parameter" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": 5}]}""", 400, "messages[0].content", "invalid_type" },
        { "/v1/chat/completions", """{"messages": [{"role": "user", "content": [{"type": 5, "text": "hi"}]}]}""", 400, "messages[0].content", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "temperature": "hot"}""", 400, "temperature", "invalid_type" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "temperature": 2.5}""", 400, "temperature", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "top_p": 1.5}""", 400, "top_p", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "max_tokens": 0}""", 400, "max_tokens", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "max_completion_tokens": 1.5}""", 400, "max_completion_tokens", "invalid_type" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "seed": "x"}""", 400, "seed", "invalid_type" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "stop": 3}""", 400, "stop", "invalid_type" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "stop": ["a", "b", "c", "d", "e"]}""", 400, "stop", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "stop": ""}""", 400, "stop", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "stop": ["a", ""]}""", 400, "stop[1]", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "stop": ["a", 3]}""", 400, "stop[1]", "invalid_type" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "stop": "{{new string('x', 257)}}"}""", 400, "stop", "invalid_value" },
        { "/v1/completions", """{"prompt": "hi", "stop": [""]}""", 400, "stop[0]", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "top_k": -1}""", 400, "top_k", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "top_k": 2.5}""", 400, "top_k", "invalid_type" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "top_k": "40"}""", 400, "top_k", "invalid_type" },
        { "/v1/completions", """{"prompt": "hi", "top_k": -5}""", 400, "top_k", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "stream": "yes"}""", 400, "stream", "invalid_type" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "n": 2}""", 400, "n", "invalid_value" },
        { "/v1/chat/completions", $$"""{"messages": {{User}}, "model": "gpt-4o"}""", 404, "model", "model_not_found" },
        { "/v1/completions", "{}", 400, "prompt", "missing_required_parameter" },
        { "/v1/completions", """{"prompt": ["a", "b"]}""", 400, "prompt", "invalid_value" },
        { "/v1/completions", """{"prompt": "hi", "model": "nope"}""", 404, "model", "model_not_found" },
        { "/v1/nothing-here", "{}", 404, null, "unknown_url" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_request_gets_its_status_and_an_OpenAI_error(string path, string body, int status, string? param, string? code)
    {
        using var response = await _server.PostAsync(path, body);
        await AssertError(response, status, param, code);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_413()
    {
        string longText = string.Concat(Enumerable.Repeat("hello world ", 200));
        using var chat = await _server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(new { messages = new[] { new { role = "user", content = longText } } }));
        await AssertError(chat, 413, "messages", "context_length_exceeded");
        using var completion = await _server.PostAsync("/v1/completions", JsonSerializer.Serialize(new { prompt = longText }));
        await AssertError(completion, 413, "prompt", "context_length_exceeded");
    }

    [Fact]
    public async Task A_body_larger_than_the_limit_is_413()
    {
        string huge = JsonSerializer.Serialize(new { prompt = new string('a', 33 << 20) });
        using var response = await _server.PostAsync("/v1/completions", huge);
        await AssertError(response, 413, null, "request_too_large");
    }

    [Fact]
    public async Task An_unknown_model_id_is_404_on_the_models_endpoint()
    {
        using var response = await _server.Http.GetAsync("/v1/models/gpt-4o");
        await AssertError(response, 404, "model", "model_not_found");
    }

    internal static async Task AssertError(HttpResponseMessage response, int status, string? param, string? code)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(text).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal(status >= 500 ? "server_error" : "invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }
}
