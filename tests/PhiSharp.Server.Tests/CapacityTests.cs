using System.Diagnostics;
using System.Text.Json;

namespace PhiSharp.Server.Tests;

/// <summary>API keys, the bounded queue, and a disconnecting client giving its slot back.</summary>
public sealed class CapacityTests
{
    const string Chat = """{"messages": [{"role": "user", "content": "hello"}], "max_tokens": 3}""";

    [Fact]
    public async Task With_an_api_key_v1_requires_it_and_health_and_the_page_do_not()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ApiKey = "sesame" });
        using (var none = await server.PostAsync("/v1/chat/completions", Chat)) await ErrorTests.AssertError(none, 401, null, "invalid_api_key");
        using (var wrong = await server.PostAsync("/v1/chat/completions", Chat, apiKey: "sesam")) await ErrorTests.AssertError(wrong, 401, null, "invalid_api_key");
        using (var models = await server.Http.GetAsync("/v1/models")) await ErrorTests.AssertError(models, 401, null, "invalid_api_key");
        using (var right = await server.PostAsync("/v1/chat/completions", Chat, apiKey: "sesame")) Assert.Equal(200, (int)right.StatusCode);
        using (var health = await server.Http.GetAsync("/health")) Assert.Equal(200, (int)health.StatusCode);
        using (var page = await server.Http.GetAsync("/")) Assert.Equal(200, (int)page.StatusCode);
    }

    [Fact]
    public async Task With_an_api_key_health_tells_only_the_status_unless_the_key_is_sent()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { ApiKey = "sesame", Parallel = 2 });
        foreach (var key in new[] { null, "sesam" })
        {
            var health = JsonDocument.Parse(await Health(server, key)).RootElement;
            Assert.Equal("status", Assert.Single(health.EnumerateObject()).Name);
            Assert.Equal("ok", health.GetProperty("status").GetString());
        }
        var details = JsonDocument.Parse(await Health(server, "sesame")).RootElement;
        Assert.Equal(server.ModelId, details.GetProperty("model").GetString());
        Assert.Equal(2, details.GetProperty("slots").GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Without_an_api_key_health_tells_the_details_the_chat_page_reads()
    {
        await using var server = await TestServer.StartAsync();
        var health = JsonDocument.Parse(await Health(server, null)).RootElement;
        Assert.Equal(server.ModelId, health.GetProperty("model").GetString());
        Assert.False(health.GetProperty("rag").GetBoolean());
    }

    static async Task<string> Health(TestServer server, string? apiKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/health");
        if (apiKey is not null) request.Headers.Authorization = new("Bearer", apiKey);
        using var response = await server.Http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task When_every_slot_is_busy_and_the_queue_is_full_a_request_gets_503()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 1, QueueLimit = 0 }, stepDelay: TimeSpan.FromMilliseconds(50));
        using var busy = await server.PostAsync("/v1/chat/completions", Stream(maxTokens: 40), completion: HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)busy.StatusCode);
        using var refused = await server.PostAsync("/v1/chat/completions", Chat);
        await ErrorTests.AssertError(refused, 503, null, "server_busy");
        Assert.NotNull(refused.Headers.RetryAfter);
    }

    [Fact]
    public async Task A_client_that_disconnects_frees_its_slot_at_once()
    {
        // 50 ms per token: the abandoned request would hold the only slot for about 10 s if it ran to the end.
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 1, QueueLimit = 0 }, stepDelay: TimeSpan.FromMilliseconds(50));
        using (var cts = new CancellationTokenSource())
        {
            var response = await server.PostAsync("/v1/chat/completions", Stream(maxTokens: 200), completion: HttpCompletionOption.ResponseHeadersRead, ct: cts.Token);
            var stream = await response.Content.ReadAsStreamAsync();
            var first = new byte[16];
            Assert.True(await stream.ReadAsync(first) > 0);
            cts.Cancel();
            response.Dispose();
        }

        var clock = Stopwatch.StartNew();
        while (Busy(await server.Http.GetStringAsync("/health")) > 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "the slot is still busy 3 s after the client left");
            await Task.Delay(20);
        }
        using var next = await server.PostAsync("/v1/chat/completions", Chat);
        Assert.Equal(200, (int)next.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"the next request finished {clock.Elapsed} after the disconnect");
    }

    static int Busy(string health) => JsonDocument.Parse(health).RootElement.GetProperty("slots").GetProperty("busy").GetInt32();

    static string Stream(int maxTokens) =>
        $$"""{"messages": [{"role": "user", "content": "hello"}], "max_tokens": {{maxTokens}}, "stream": true, "temperature": 0}""";
}
