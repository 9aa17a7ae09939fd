using System.Text.Json;
using PhiSharp.Generation;
using PhiSharp.Tokenizers;

namespace PhiSharp.Server.Tests;

public sealed class ChatCompletionsTests(SharedServer shared) : IClassFixture<SharedServer>
{
    readonly TestServer _server = shared.Server;

    static object Request(int maxTokens = 6, ulong seed = 7, double temperature = 1, bool stream = false, object? stop = null) => new
    {
        model = "tiny-phi3",
        messages = new object[] { new { role = "system", content = "Be brief." }, new { role = "user", content = "hello world" } },
        max_tokens = maxTokens,
        temperature,
        seed,
        stream,
        stop,
        stream_options = stream ? new { include_usage = true } : null,
    };

    int[] PromptTokens() => _server.Model.Tokenizer.Encode(_server.Model.ChatTemplate.Format(
        [new ChatMessage("system", "Be brief."), new ChatMessage("user", "hello world")], addGenerationPrompt: true), parseSpecial: true);

    /// <summary>What the engine itself generates for the same prompt and options, in process.</summary>
    List<GeneratedToken> InProcess(int maxTokens, ulong seed, float temperature, params string[] stops) =>
        _server.Model.Generator.Generate(PromptTokens(), new GenerationOptions
        {
            MaxTokens = maxTokens,
            StopStrings = stops,
            Sampling = new SamplingOptions { Temperature = temperature, Seed = seed },
        }).ToList();

    [Fact]
    public async Task A_chat_completion_has_every_field_of_OpenAIs_object()
    {
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", Request());
        Assert.Equal(200, status);
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.InRange(body.GetProperty("created").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal("tiny-phi3", body.GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.String, body.GetProperty("system_fingerprint").ValueKind);
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = body.GetProperty("usage");
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Content_and_usage_equal_what_the_engine_and_tokenizer_give_in_process()
    {
        var (_, body) = await _server.PostJsonAsync("/v1/chat/completions", Request(maxTokens: 8, seed: 3));
        var expected = InProcess(8, 3, 1f);
        var usage = body.GetProperty("usage");
        Assert.Equal(PromptTokens().Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(expected.Count, usage.GetProperty("completion_tokens").GetInt32());
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(string.Concat(expected.Select(t => t.Text)), choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal(expected[^1].Finish == FinishReason.Length ? "length" : "stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_reply_and_other_seeds_give_others()
    {
        async Task<string> Content(ulong seed) =>
            (await _server.PostJsonAsync("/v1/chat/completions", Request(maxTokens: 8, seed: seed))).Body
                .GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        string first = await Content(11);
        Assert.Equal(first, await Content(11));
        var others = new[] { await Content(12), await Content(13), await Content(14) };
        Assert.Contains(others, o => o != first);
    }

    [Fact]
    public async Task A_stop_string_ends_the_reply_before_it()
    {
        string full = string.Concat(InProcess(12, 5, 1f).Select(t => t.Text));
        Assert.True(full.Length >= 4, $"the tiny model's reply '{full}' is too short to cut");
        string stop = full.Substring(full.Length / 2, 2);
        var (_, body) = await _server.PostJsonAsync("/v1/chat/completions", Request(maxTokens: 12, seed: 5, stop: new[] { stop }));
        var choice = body.GetProperty("choices")[0];
        Assert.Equal(full[..full.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Top_k_1_keeps_only_the_most_likely_token_so_sampling_gives_the_greedy_reply()
    {
        string greedy = string.Concat(InProcess(8, 11, 0f).Select(t => t.Text));
        Assert.NotEqual(greedy, string.Concat(InProcess(8, 11, 1f).Select(t => t.Text))); // else the test shows nothing
        var request = System.Text.Json.Nodes.JsonNode.Parse(JsonSerializer.Serialize(Request(maxTokens: 8, seed: 11)))!;
        request["top_k"] = 1;
        using var response = await _server.PostAsync("/v1/chat/completions", request.ToJsonString());
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(greedy, body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_streamed_reply_is_well_framed_chunks_that_add_up_to_the_whole_reply()
    {
        using var response = await _server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(Request(maxTokens: 8, seed: 9, stream: true)));
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        var events = EventStream.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();

        string? id = chunks[0].GetProperty("id").GetString();
        Assert.StartsWith("chatcmpl-", id);
        foreach (var c in chunks)
        {
            Assert.Equal(id, c.GetProperty("id").GetString());
            Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString());
            Assert.Equal("tiny-phi3", c.GetProperty("model").GetString());
            Assert.Equal(JsonValueKind.Number, c.GetProperty("created").ValueKind);
        }
        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("finish_reason").ValueKind);

        // The last chunk with a choice carries the finish reason and an empty delta; the usage chunk follows it.
        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
        var final = chunks[^2].GetProperty("choices")[0];
        Assert.Empty(final.GetProperty("delta").EnumerateObject());
        string content = string.Concat(chunks[1..^2].Select(c =>
        {
            var choice = c.GetProperty("choices")[0];
            Assert.Equal(JsonValueKind.Null, choice.GetProperty("finish_reason").ValueKind);
            return choice.GetProperty("delta").GetProperty("content").GetString();
        }));

        var (_, whole) = await _server.PostJsonAsync("/v1/chat/completions", Request(maxTokens: 8, seed: 9));
        var wholeChoice = whole.GetProperty("choices")[0];
        Assert.Equal(wholeChoice.GetProperty("message").GetProperty("content").GetString(), content);
        Assert.Equal(wholeChoice.GetProperty("finish_reason").GetString(), final.GetProperty("finish_reason").GetString());
        Assert.Equal(whole.GetProperty("usage").ToString(), usageChunk.GetProperty("usage").ToString());
    }

    [Fact]
    public async Task A_text_completion_has_OpenAIs_shape_and_the_tokenizers_prompt_count()
    {
        var (status, body) = await _server.PostJsonAsync("/v1/completions", new { model = "tiny-phi3", prompt = "hello world", max_tokens = 5, seed = 1 });
        Assert.Equal(200, status);
        Assert.StartsWith("cmpl-", body.GetProperty("id").GetString());
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
        Assert.Equal("tiny-phi3", body.GetProperty("model").GetString());
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal(JsonValueKind.String, choice.GetProperty("text").ValueKind);
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Contains(choice.GetProperty("finish_reason").GetString(), new[] { "stop", "length" });
        var usage = body.GetProperty("usage");
        Assert.Equal(_server.Model.Tokenizer.Encode("hello world", addSpecialTokens: true, parseSpecial: true).Length, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 1, 5);

        using var streamed = await _server.PostAsync("/v1/completions", """{"prompt": "hello world", "max_tokens": 5, "seed": 1, "stream": true}""");
        var events = EventStream.Parse(await streamed.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0]).ToList();
        Assert.Equal(choice.GetProperty("text").GetString(), string.Concat(chunks.Select(c => c.GetProperty("text").GetString())));
        Assert.Equal(choice.GetProperty("finish_reason").GetString(), chunks[^1].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Models_and_health_describe_the_served_model()
    {
        var models = JsonDocument.Parse(await _server.Http.GetStringAsync("/v1/models")).RootElement;
        Assert.Equal("list", models.GetProperty("object").GetString());
        var model = Assert.Single(models.GetProperty("data").EnumerateArray());
        Assert.Equal("tiny-phi3", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal(JsonValueKind.Number, model.GetProperty("created").ValueKind);
        Assert.Equal("phisharp", model.GetProperty("owned_by").GetString());
        Assert.Equal("tiny-phi3", JsonDocument.Parse(await _server.Http.GetStringAsync("/v1/models/tiny-phi3")).RootElement.GetProperty("id").GetString());

        var health = JsonDocument.Parse(await _server.Http.GetStringAsync("/health")).RootElement;
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(2, health.GetProperty("slots").GetProperty("total").GetInt32());
        Assert.Equal(256, health.GetProperty("slots").GetProperty("context").GetInt32());
    }
}
