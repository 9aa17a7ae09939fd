using System.Diagnostics;
using System.Text.Json;
using PhiSharp.Tokenizers;
using Xunit.Abstractions;

namespace PhiSharp.Server.Tests;

public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    static string ChatJson(IEnumerable<ChatMessage> messages, int maxTokens, bool stream = false) => JsonSerializer.Serialize(new
    {
        messages = messages.Select(m => new { role = m.Role, content = m.Content }),
        max_tokens = maxTokens,
        temperature = 0,
        stream,
    });

    [Fact]
    public async Task A_conversations_next_turn_evaluates_only_what_follows_its_cached_history()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 2 });
        List<ChatMessage> conversation = [new("system", "Be brief."), new("user", "hello world")];
        using (var first = await server.PostAsync("/v1/chat/completions", ChatJson(conversation, 6)))
        {
            string reply = JsonDocument.Parse(await first.Content.ReadAsStringAsync()).RootElement
                .GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
            conversation.Add(new("assistant", reply));
        }
        // Another client in between must not evict the conversation from its slot.
        using (var other = await server.PostAsync("/v1/completions", """{"prompt": "the world", "max_tokens": 4}""")) Assert.Equal(200, (int)other.StatusCode);

        conversation.Add(new("user", "hello"));
        var tokenizer = server.Model.Tokenizer;
        int[] earlier = tokenizer.Encode(server.Model.ChatTemplate.Format(conversation[..2], addGenerationPrompt: true), parseSpecial: true);
        int[] now = tokenizer.Encode(server.Model.ChatTemplate.Format(conversation, addGenerationPrompt: true), parseSpecial: true);
        Assert.Equal(earlier, now[..earlier.Length]);

        long before = server.Network.Evaluated;
        using var second = await server.PostAsync("/v1/chat/completions", ChatJson(conversation, 1));
        Assert.Equal(200, (int)second.StatusCode);
        long evaluated = server.Network.Evaluated - before;
        Assert.True(evaluated <= now.Length - earlier.Length,
            $"the second turn evaluated {evaluated} of its {now.Length} prompt tokens; the first turn's {earlier.Length} were cached");
    }

    [Fact]
    public async Task Four_clients_at_once_get_the_greedy_completions_they_get_alone()
    {
        // --parallel 4: their decode steps share batched forwards (different positions, joining and leaving as their
        // prompts and lengths differ); greedy decoding must give each the reply it gets with the server to itself.
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 4 });
        (string Prompt, int MaxTokens)[] requests =
            [("hello world", 24), ("the", 9), ("a hello the world, the hello world a the, hello hello world", 30), ("world he ll o", 17)];
        static string Json((string Prompt, int MaxTokens) r) => JsonSerializer.Serialize(new { prompt = r.Prompt, max_tokens = r.MaxTokens, temperature = 0 });
        async Task<string> Complete((string Prompt, int MaxTokens) r)
        {
            using var response = await server.PostAsync("/v1/completions", Json(r));
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, body.ToString());
            var choice = body.GetProperty("choices")[0];
            return $"{choice.GetProperty("text").GetString()} | {choice.GetProperty("finish_reason").GetString()} | " +
                   body.GetProperty("usage").GetProperty("completion_tokens").GetInt32();
        }

        var alone = new List<string>();
        foreach (var r in requests) alone.Add(await Complete(r));
        for (int round = 0; round < 3; round++)
        {
            var together = await Task.WhenAll(requests.Select(r => Task.Run(() => Complete(r))));
            Assert.Equal(alone, together);
        }
    }

    [Fact]
    public async Task Thirty_two_concurrent_streaming_clients_all_get_well_formed_streams()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 4, QueueLimit = 32 });
        // Two rounds: the first also pays for JIT and connection setup, the second shows the steady state.
        for (int round = 1; round <= 2; round++)
            await Round(server, round);
        var health = JsonDocument.Parse(await server.Http.GetStringAsync("/health")).RootElement;
        Assert.Equal(0, health.GetProperty("slots").GetProperty("busy").GetInt32());
        Assert.Equal(0, health.GetProperty("queued").GetInt32());
    }

    async Task Round(TestServer server, int round)
    {
        const int clients = 32, maxTokens = 8;
        var clock = Stopwatch.StartNew();
        var results = await Task.WhenAll(Enumerable.Range(0, clients).Select(async i =>
        {
            var started = clock.Elapsed;
            string json = JsonSerializer.Serialize(new
            {
                messages = new[] { new { role = "user", content = $"hello {i}" } },
                max_tokens = maxTokens,
                seed = i,
                stream = true,
                stream_options = new { include_usage = true },
            });
            using var response = await server.PostAsync("/v1/chat/completions", json, completion: HttpCompletionOption.ResponseHeadersRead);
            string body = await response.Content.ReadAsStringAsync();
            return (Status: (int)response.StatusCode, Body: body, Latency: clock.Elapsed - started);
        }));
        clock.Stop();

        int tokens = 0;
        foreach (var (status, body, _) in results)
        {
            Assert.True(status == 200, $"status {status}: {body}");
            var events = EventStream.Parse(body);
            Assert.Equal("[DONE]", events[^1]);
            var usage = JsonDocument.Parse(events[^2]).RootElement.GetProperty("usage");
            tokens += usage.GetProperty("completion_tokens").GetInt32();
            Assert.InRange(usage.GetProperty("completion_tokens").GetInt32(), 1, maxTokens);
        }
        var process = Process.GetCurrentProcess();
        var latencies = results.Select(r => r.Latency.TotalMilliseconds).Order().ToArray();
        output.WriteLine($"round {round}: {clients} clients, parallel 4: {clock.Elapsed.TotalMilliseconds:F0} ms wall, {tokens} tokens, " +
                         $"{tokens / clock.Elapsed.TotalSeconds:F0} tok/s, latency p50 {latencies[clients / 2]:F0} ms, max {latencies[^1]:F0} ms, " +
                         $"working set {process.WorkingSet64 >> 20} MiB");
        // Memory stays bounded: the slots' caches are allocated once; 32 requests add no per-request KV cache.
        Assert.True(process.WorkingSet64 < 1L << 30, $"working set {process.WorkingSet64 >> 20} MiB");
    }
}
