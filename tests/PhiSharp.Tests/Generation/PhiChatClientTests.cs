using Microsoft.Extensions.AI;
using PhiSharp.Generation;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using PhiChatMessage = PhiSharp.Tokenizers.ChatMessage;

namespace PhiSharp.Tests.Generation;

public sealed class PhiChatClientTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly LanguageModel _model;
    readonly IChatClient _client;

    public PhiChatClientTests()
    {
        string path = _dir.File("tiny.gguf");
        TinyPhi3Gguf.Write(path);
        _model = LanguageModel.Load(path);
        _client = new PhiChatClient(_model);
    }

    public void Dispose()
    {
        _client.Dispose();
        _model.Dispose();
        _dir.Dispose();
    }

    static readonly AiChatMessage[] Conversation = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "hello world")];

    int[] PromptTokens(params PhiChatMessage[] turns) =>
        _model.Tokenizer.Encode(_model.ChatTemplate.Format(turns, addGenerationPrompt: true), parseSpecial: true);

    List<GeneratedToken> Expected(GenerationOptions options) =>
        _model.Generator.Generate(PromptTokens(new("system", "Be brief."), new("user", "hello world")), options).ToList();

    [Fact]
    public async Task A_response_is_what_the_generator_gives_for_the_templated_prompt_with_the_options_mapped()
    {
        var options = new ChatOptions { MaxOutputTokens = 7, Temperature = 0.9f, TopP = 0.95f, TopK = 40, Seed = 21 };
        var expected = Expected(new GenerationOptions
        {
            MaxTokens = 7,
            Sampling = new SamplingOptions { Temperature = 0.9f, TopP = 0.95f, TopK = 40, Seed = 21 },
        });
        var response = await _client.GetResponseAsync(Conversation, options);
        Assert.Equal(string.Concat(expected.Select(t => t.Text)), response.Text);
        Assert.Equal(ChatRole.Assistant, Assert.Single(response.Messages).Role);
        Assert.Equal(expected[^1].Finish == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop, response.FinishReason);
        Assert.Equal(PromptTokens(new("system", "Be brief."), new("user", "hello world")).Length, response.Usage!.InputTokenCount);
        Assert.Equal(expected.Count, response.Usage.OutputTokenCount);
        Assert.Equal("tiny", response.ModelId);
    }

    [Fact]
    public async Task Streaming_updates_add_up_to_the_response_and_the_last_carries_finish_and_usage()
    {
        var options = new ChatOptions { MaxOutputTokens = 6, Temperature = 1f, Seed = 4 };
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in _client.GetStreamingResponseAsync(Conversation, options)) updates.Add(update);
        var whole = await _client.GetResponseAsync(Conversation, options);
        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.All(updates[..^1], u => Assert.Null(u.FinishReason));
        Assert.NotNull(updates[^1].FinishReason);
        Assert.Equal(whole.Usage!.OutputTokenCount, updates[^1].Contents.OfType<UsageContent>().Single().Details.OutputTokenCount);
    }

    [Fact]
    public async Task Instructions_become_the_system_turn_and_stop_sequences_cut_the_reply()
    {
        var withInstructions = await _client.GetResponseAsync([new AiChatMessage(ChatRole.User, "hello world")],
            new ChatOptions { Instructions = "Be brief.", MaxOutputTokens = 5 });
        Assert.Equal(string.Concat(Expected(new GenerationOptions { MaxTokens = 5 }).Select(t => t.Text)), withInstructions.Text);

        string full = string.Concat(Expected(new GenerationOptions { MaxTokens = 12, Sampling = new SamplingOptions { Temperature = 1f, Seed = 5 } }).Select(t => t.Text));
        Assert.True(full.Length >= 4, $"the tiny model's reply '{full}' is too short to cut");
        string stop = full.Substring(full.Length / 2, 2);
        var cut = await _client.GetResponseAsync(Conversation, new ChatOptions { MaxOutputTokens = 12, Temperature = 1f, Seed = 5, StopSequences = [stop] });
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], cut.Text);
        Assert.Equal(ChatFinishReason.Stop, cut.FinishReason);
    }

    [Fact]
    public async Task Metadata_is_a_service_and_bad_input_is_refused_clearly()
    {
        Assert.Equal("phisharp", _client.GetService<ChatClientMetadata>()!.ProviderName);
        Assert.Same(_client, _client.GetService<IChatClient>());
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync([]));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _client.GetResponseAsync(Conversation, new ChatOptions { TopP = 0 }));
        await Assert.ThrowsAsync<ArgumentException>(() => _client.GetResponseAsync(
            [new AiChatMessage(ChatRole.User, string.Concat(Enumerable.Repeat("hello world ", 300)))]));
    }
}
