using System.Text.Json;
using PhiSharp.Generation.Tools;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Generation.Tools;

/// <summary>Reading replies into text and calls, whole and as they stream, in both syntaxes and the known variants.</summary>
public sealed class ToolCallReaderTests
{
    static readonly ChatTool Weather = new("get_weather", "Weather", JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""").RootElement);

    /// <summary>The format for the tiny Phi-4-mini-like model (tool tokens) or the tiny Phi-3 (generic JSON).</summary>
    static ToolCallFormat FormatOf(bool phi4MiniLike)
    {
        using var dir = new TempDirectory();
        string path = dir.File("m.gguf");
        if (phi4MiniLike) TinyPhi3Gguf.WritePhi4MiniLike(path);
        else TinyPhi3Gguf.Write(path);
        using var model = LanguageModel.Load(path, new LoadOptions { Threads = 1 });
        return ToolCallFormat.For(model.ChatTemplate, model.Tokenizer, [Weather], ToolChoice.Auto);
    }

    static readonly Lazy<ToolCallFormat> TokensFormat = new(() => FormatOf(phi4MiniLike: true));
    static readonly Lazy<ToolCallFormat> GenericFormat = new(() => FormatOf(phi4MiniLike: false));
    static ToolCallFormat Generic => GenericFormat.Value;

    [Fact]
    public void The_syntax_follows_the_template_and_the_vocabulary()
    {
        Assert.Equal(ToolCallSyntax.ToolCallTokens, TokensFormat.Value.Syntax);
        Assert.Equal(ToolCallSyntax.Json, Generic.Syntax);
    }

    [Theory]
    [InlineData("""<|tool_call|>[{"name": "get_weather", "arguments": {"city": "Paris"}}]""", "", """{"city": "Paris"}""")]
    [InlineData("""Let me check.<|tool_call|>[{"name":"get_weather","arguments":{"city":"Paris"}}]<|/tool_call|>""", "Let me check.", """{"city":"Paris"}""")]
    [InlineData("""functools[{"name": "get_weather", "parameters": {"city": "Paris"}}]""", "", """{"city": "Paris"}""")]
    [InlineData("""<|tool_call|>{"arguments": {"city": "Paris"}, "name": "get_weather"}""", "", """{"city": "Paris"}""")]
    public void Phi4_mini_calls_and_their_variants_are_read(string output, string content, string arguments)
    {
        var (text, calls) = TokensFormat.Value.Parse(output);
        Assert.Equal(content, text);
        var call = Assert.Single(calls);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal(arguments, call.Arguments);
        Assert.StartsWith("call_", call.Id);
    }

    [Fact]
    public void Text_without_a_call_is_text_whole()
    {
        var (text, calls) = TokensFormat.Value.Parse("The <|tool call is a functools thing [1].");
        Assert.Equal("The <|tool call is a functools thing [1].", text);
        Assert.Empty(calls);
    }

    [Theory]
    [InlineData("""{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}, {"name": "get_weather", "arguments": {"city": "Rome"}}]}""", "", 2)]
    [InlineData("""{"response": "It is \"sunny\"\n\u00e9\ud83d\ude00"}""", "It is \"sunny\"\né😀", 0)]
    [InlineData("not JSON at all", "not JSON at all", 0)]
    public void Generic_replies_are_read(string output, string content, int calls)
    {
        var (text, read) = Generic.Parse(output);
        Assert.Equal(content, text);
        Assert.Equal(calls, read.Count);
        Assert.All(read, c => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(c.Arguments).RootElement.ValueKind));
    }

    [Theory]
    [InlineData(true, """Sure.<|tool_call|>[{"name": "get_weather", "arguments": {"city": "Pa\"ris", "n": [1, {"x": -2.5e3}]}}, {"name": "get_weather", "arguments": {}}]""")]
    [InlineData(false, """{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}""")]
    [InlineData(false, """{"response": "caf\u00e9 \ud83d\ude00 ok"}""")]
    public void Read_a_character_at_a_time_a_reply_gives_what_it_gives_whole(bool tokens, string output)
    {
        var format = tokens ? TokensFormat.Value : Generic;
        var reader = format.CreateReader();
        var updates = output.Select(c => reader.Push(c.ToString())).SelectMany(u => u).Concat(reader.Finish()).ToList();
        var (text, calls) = ToolCallReader.Collect(updates);
        var (wholeText, wholeCalls) = format.Parse(output);
        Assert.Equal(wholeText, text);
        Assert.Equal(wholeCalls.Select(c => (c.Name, c.Arguments)), calls.Select(c => (c.Name, c.Arguments)));
        // OpenAI's order: a call's start, then its argument pieces, then its end.
        for (int i = 0; i < calls.Count; i++)
        {
            var mine = updates.Where(u => u.Kind != ToolCallUpdateKind.Content && u.Index == i).Select(u => u.Kind).ToList();
            Assert.Equal(ToolCallUpdateKind.Start, mine[0]);
            Assert.Equal(ToolCallUpdateKind.End, mine[^1]);
        }
    }
}
