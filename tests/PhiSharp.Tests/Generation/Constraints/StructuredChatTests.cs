using System.Text.Json;
using Microsoft.Extensions.AI;
using PhiSharp.Generation;
using PhiSharp.Generation.Constraints;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;

namespace PhiSharp.Tests.Generation.Constraints;

/// <summary>ChatOptions.ResponseFormat through PhiChatClient, driven by Microsoft.Extensions.AI's own structured-output
/// extension: on a random-weight model only the constraint can make GetResponseAsync&lt;T&gt; deserialize a T.</summary>
public sealed class StructuredChatTests : IDisposable
{
    readonly LoadedTinyModel _tiny = new(path => TinyPhi3Gguf.Write(path, o => o.ContextLength = 1024));
    LanguageModel Model => _tiny.Model;
    readonly IChatClient _client;

    public StructuredChatTests()
    {
        _client = new PhiChatClient(Model);
    }

    public void Dispose()
    {
        _client.Dispose();
        _tiny.Dispose();
    }

    public sealed record Forecast(string City, int Temperature, bool Sunny, string[] Notes);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task GetResponseAsync_of_T_returns_a_parsed_T(long seed)
    {
        var response = await _client.GetResponseAsync<Forecast>("What is the weather in Oslo?",
            new ChatOptions { MaxOutputTokens = 80, Temperature = 1.5f, Seed = seed });
        Assert.True(response.TryGetResult(out var forecast), response.Text);
        Assert.NotNull(forecast!.City);
        Assert.NotNull(forecast.Notes);
    }

    [Fact]
    public async Task ChatResponseFormat_Json_gives_a_JSON_object()
    {
        var response = await _client.GetResponseAsync("hello", new ChatOptions { ResponseFormat = ChatResponseFormat.Json, MaxOutputTokens = 16, Temperature = 1.5f, Seed = 4 });
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(response.Text).RootElement.ValueKind);
    }

    [Fact]
    public async Task An_unsupported_schema_is_refused_naming_the_keyword()
    {
        var format = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse("""{"type":"string","pattern":"a+"}""").RootElement);
        var e = await Assert.ThrowsAsync<JsonSchemaException>(() => _client.GetResponseAsync("hello", new ChatOptions { ResponseFormat = format }));
        Assert.Equal("pattern", e.Keyword);
    }
}
