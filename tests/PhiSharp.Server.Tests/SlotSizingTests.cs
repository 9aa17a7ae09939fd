using System.Text.Json;

namespace PhiSharp.Server.Tests;

/// <summary>
/// How big the slots are: without --ctx each takes the model's context (at most 4096 tokens); a --ctx beyond the
/// model's, or more slots than the memory holds, is refused with the figures before any KV cache is allocated.
/// The tiny model has a context of 256 tokens and 64 bytes of keys and values per token.
/// </summary>
public sealed class SlotSizingTests
{
    [Fact]
    public async Task Without_a_context_each_slot_takes_the_models()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 2 });
        var health = JsonDocument.Parse(await server.Http.GetStringAsync("/health")).RootElement;
        Assert.Equal(256, health.GetProperty("slots").GetProperty("context").GetInt32());
    }

    [Fact]
    public async Task A_context_beyond_the_models_is_refused_not_lowered()
    {
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TestServer.StartAsync(new ServerOptions { ContextLength = 1000 }));
        Assert.StartsWith("--ctx 1000 is more than this model's context of 256 tokens.", e.Message);
    }

    [Fact]
    public async Task More_slots_than_the_memory_holds_are_refused_before_allocating_them()
    {
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => TestServer.StartAsync(new ServerOptions { Parallel = int.MaxValue }));
        Assert.Equal("--parallel", e.ParamName);
        Assert.Matches(@"^--parallel 2147483647 × --ctx 256 needs 32768\.0 GiB of KV cache \(f16\); [\d.]+ [GM]iB is available\.", e.Message);
    }
}
