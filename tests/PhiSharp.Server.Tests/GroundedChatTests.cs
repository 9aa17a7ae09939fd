using System.Text.Json;
using PhiSharp.Models.Bert;
using PhiSharp.Rag.Answering;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;
using PhiSharp.Tokenizers;

namespace PhiSharp.Server.Tests;

/// <summary>Chat with "rag": the prompt `phi rag ask` would build, the sources on the reply, "I don't know." when nothing matches.</summary>
public sealed class GroundedChatTests(RagServer rag) : IClassFixture<RagServer>
{
    readonly TestServer _server = rag.Server;

    const string Question = "What is the tallest volcano on Mars?";

    /// <summary>The prompt GroundedPrompt builds for the same hits and budget, i.e. what `phi rag ask` would send.</summary>
    async Task<(int[] Prompt, IReadOnlyList<Source> Sources)> Expected(string question, int maxTokens, RetrievalMode mode, int top,
        IReadOnlyList<ChatMessage>? history = null, double? mmr = null)
    {
        using var embedder = BertEmbeddingGenerator.Load(EmbeddingServer.ModelPath, threads: 1);
        var hits = await new Retriever(rag.Store, embedder).SearchAsync(question, top, mode, mmr);
        return GroundedPrompt.ForModel(question, hits, _server.Model, 4096 - maxTokens, history);
    }

    static List<(string Path, string? Heading, int Chunk, bool Cited)> Sources(JsonElement body) =>
        body.GetProperty("sources").EnumerateArray().Select((s, i) =>
        {
            Assert.Equal(["number", "path", "heading", "chunk", "score", "cited"], s.EnumerateObject().Select(p => p.Name));
            Assert.Equal(i + 1, s.GetProperty("number").GetInt32());
            return (s.GetProperty("path").GetString()!, s.GetProperty("heading").GetString(), s.GetProperty("chunk").GetInt32(), s.GetProperty("cited").GetBoolean());
        }).ToList();

    [Fact]
    public async Task A_lexical_rag_request_sends_the_grounded_prompt_and_lists_its_sources()
    {
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = Question } },
            rag = new { top = 2, mode = "lexical" },
            max_tokens = 8,
            temperature = 0,
        });
        Assert.Equal(200, status);
        var (prompt, sources) = await Expected(Question, 8, RetrievalMode.Lexical, 2);
        Assert.Equal(prompt.Length, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var served = Sources(body);
        Assert.Equal(sources.Select(s => (s.Chunk.Path, s.Chunk.Heading, s.Chunk.Ordinal)), served.Select(s => (s.Path, s.Heading, s.Chunk)));
        Assert.EndsWith("mars.md", served[0].Path);
        Assert.Equal("Mars", served[0].Heading);
        string answer = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Equal(GroundedPrompt.Cited(answer, sources).Count, served.Count(s => s.Cited));
    }

    [Fact]
    public async Task Rag_true_uses_hybrid_retrieval_and_keeps_earlier_turns_before_the_grounded_question()
    {
        var history = new[] { new ChatMessage("system", "Be brief."), new ChatMessage("user", "hello"), new ChatMessage("assistant", "hi") };
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", new
        {
            messages = history.Select(m => new { role = m.Role, content = m.Content }).Append(new { role = "user", content = Question }),
            rag = true,
            max_tokens = 4,
        });
        Assert.Equal(200, status);
        var (prompt, sources) = await Expected(Question, 4, RetrievalMode.Hybrid, 5, history);
        Assert.Equal(prompt.Length, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(3, sources.Count); // hybrid: the vector ranking brings every chunk
        Assert.Equal(sources.Select(s => s.Chunk.Path), Sources(body).Select(s => s.Path));
    }

    [Fact]
    public async Task Rag_mmr_diversifies_the_sources_as_the_retriever_does()
    {
        var (status, body) = await _server.PostJsonAsync("/v1/chat/completions", new
        {
            messages = new[] { new { role = "user", content = Question } },
            rag = new { top = 3, mode = "hybrid", mmr = 0.3 },
            max_tokens = 4,
        });
        Assert.Equal(200, status);
        var (_, sources) = await Expected(Question, 4, RetrievalMode.Hybrid, 3, mmr: 0.3);
        Assert.Equal(sources.Select(s => (s.Chunk.Path, s.Chunk.Ordinal)), Sources(body).Select(s => (s.Path, s.Chunk)));
    }

    [Fact]
    public async Task A_streamed_reply_carries_the_sources_on_its_finishing_chunk_only()
    {
        using var response = await _server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = Question } },
            rag = new { mode = "lexical" },
            max_tokens = 6,
            stream = true,
            stream_options = new { include_usage = true },
        }));
        Assert.Equal(200, (int)response.StatusCode);
        var events = EventStream.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var finishing = chunks.Single(c => c.GetProperty("choices").GetArrayLength() == 1
            && c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String);
        Assert.EndsWith("mars.md", Sources(finishing)[0].Path);
        Assert.Equal(1, chunks.Count(c => c.TryGetProperty("sources", out _)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task When_nothing_matches_the_answer_is_I_dont_know_without_running_the_model(bool stream)
    {
        long evaluated = _server.Network.Evaluated;
        using var response = await _server.PostAsync("/v1/chat/completions", JsonSerializer.Serialize(new
        {
            messages = new[] { new { role = "user", content = "zebra xylophone quasar" } },
            rag = new { mode = "lexical" },
            stream,
        }));
        Assert.Equal(200, (int)response.StatusCode);
        string text = await response.Content.ReadAsStringAsync();
        if (stream)
        {
            var chunks = EventStream.Parse(text)[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
            Assert.Equal(GroundedPrompt.Unknown, string.Concat(chunks.Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
                .Select(d => d.TryGetProperty("content", out var c) ? c.GetString() : "")));
            Assert.Empty(chunks[^1].GetProperty("sources").EnumerateArray());
        }
        else
        {
            var body = JsonDocument.Parse(text).RootElement;
            Assert.Equal(GroundedPrompt.Unknown, body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
            Assert.Equal("stop", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
            Assert.Empty(body.GetProperty("sources").EnumerateArray());
            Assert.Equal(0, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());
        }
        Assert.Equal(evaluated, _server.Network.Evaluated);
    }

    [Fact]
    public async Task Health_says_the_server_has_documents()
    {
        var health = JsonDocument.Parse(await _server.Http.GetStringAsync("/health")).RootElement;
        Assert.True(health.GetProperty("rag").GetBoolean());
    }

    const string User = """[{"role": "user", "content": "volcano"}]""";

    public static TheoryData<string, string?, string?> Cases => new()
    {
        // body, param, code (all 400)
        { $$"""{"messages": {{User}}, "rag": "yes"}""", "rag", "invalid_type" },
        { $$$"""{"messages": {{{User}}}, "rag": {"top": 0}}""", "rag.top", "invalid_value" },
        { $$$"""{"messages": {{{User}}}, "rag": {"top": 51}}""", "rag.top", "invalid_value" },
        { $$$"""{"messages": {{{User}}}, "rag": {"top": "5"}}""", "rag.top", "invalid_type" },
        { $$$"""{"messages": {{{User}}}, "rag": {"mode": "semantic"}}""", "rag.mode", "invalid_value" },
        { $$$"""{"messages": {{{User}}}, "rag": {"mmr": 1.5}}""", "rag.mmr", "invalid_value" },
        { $$$"""{"messages": {{{User}}}, "rag": {"mmr": "0.5"}}""", "rag.mmr", "invalid_type" },
        { $$$"""{"messages": {{{User}}}, "rag": {"limit": 3}}""", "rag.limit", "invalid_value" },
        { """{"messages": [{"role": "user", "content": "volcano"}, {"role": "assistant", "content": "Mars"}], "rag": true}""", "messages", "invalid_value" },
        { """{"messages": [{"role": "user", "content": " "}], "rag": {"mode": "lexical"}}""", "rag", "invalid_value" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_rag_request_is_400(string body, string? param, string? code)
    {
        using var response = await _server.PostAsync("/v1/chat/completions", body);
        await ErrorTests.AssertError(response, 400, param, code);
    }
}

/// <summary>A server started without --rag-db.</summary>
public sealed class GroundedChatWithoutStoreTests(SharedServer shared) : IClassFixture<SharedServer>
{
    [Fact]
    public async Task Rag_is_400_naming_the_flag_and_health_says_there_are_no_documents()
    {
        using var response = await shared.Server.PostAsync("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "rag": true}""");
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("--rag-db", text);
        using var again = await shared.Server.PostAsync("/v1/chat/completions", """{"messages": [{"role": "user", "content": "hi"}], "rag": true}""");
        await ErrorTests.AssertError(again, 400, "rag", "rag_not_enabled");
        var health = JsonDocument.Parse(await shared.Server.Http.GetStringAsync("/health")).RootElement;
        Assert.False(health.GetProperty("rag").GetBoolean());
    }
}

public sealed class GroundedChatModelMismatchTests
{
    [Fact]
    public async Task A_server_whose_embedding_model_did_not_make_the_documents_vectors_refuses_to_start()
    {
        var directory = Directory.CreateTempSubdirectory("phisharp-mismatch-").FullName;
        try
        {
            using var store = SqliteRagStore.Open(Path.Combine(directory, "rag.db"), create: true);
            store.RecordEmbeddingModel("some-other-model");
            var e = await Assert.ThrowsAsync<ArgumentException>(() => TestServer.StartAsync(embedModel: EmbeddingServer.ModelPath, ragStore: store));
            Assert.Contains("'some-other-model'", e.Message);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
