using PhiSharp.Generation;
using PhiSharp.Models;
using PhiSharp.Tests.Formats;

namespace PhiSharp.Tests.Models;

/// <summary>
/// The engine refuses sizes that would crawl or fail deep inside (threads, a context beyond the model's, KV caches
/// beyond the memory) with an ArgumentOutOfRangeException that gives the figures, before allocating anything.
/// </summary>
public sealed class ModelLimitsTests : IDisposable
{
    readonly LoadedTinyModel _tiny = new(path => TinyPhi3Gguf.Write(path));
    LanguageModel Model => _tiny.Model;   // the tiny Phi-3: a context of 256 tokens, 64 bytes of f16 keys and values per token

    public void Dispose() => _tiny.Dispose();

    [Fact]
    public void Threads_are_0_for_every_core_up_to_4_per_logical_core()
    {
        Assert.Equal(4 * Environment.ProcessorCount, LoadOptions.MaxThreads);
        Assert.Equal(0, new LoadOptions { Threads = 0 }.Threads);
        Assert.Equal(LoadOptions.MaxThreads, new LoadOptions { Threads = LoadOptions.MaxThreads }.Threads);
        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => new LoadOptions { Threads = LoadOptions.MaxThreads + 1 });
        Assert.Equal("Threads", tooMany.ParamName);
        Assert.Contains($"4 × the {Environment.ProcessorCount} logical cores", tooMany.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LoadOptions { Threads = -1 });
    }

    [Fact]
    public void A_context_beyond_the_models_is_refused_by_name()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KvCacheBudget.Check(Model.Info, 10_000_000, contextName: "--ctx"));
        Assert.StartsWith("--ctx 10000000 is more than this model's context of 256 tokens.", e.Message);
    }

    [Fact]
    public void Caches_beyond_the_available_memory_are_refused_with_the_figures()
    {
        Assert.Equal(64, Model.Info.KvCacheBytesPerToken);   // 1 layer × 2 KV heads × 8 dims × (K, V) × 2 bytes
        long bytes = 4 * 256 * Model.Info.KvCacheBytesPerToken;
        KvCacheBudget.Check(Model.Info, 256, sequences: 4, availableBytes: bytes);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            KvCacheBudget.Check(Model.Info, 256, sequences: 2000, "--ctx", "--parallel", availableBytes: 16L << 20));
        Assert.Equal("--parallel", e.ParamName);
        Assert.StartsWith($"--parallel 2000 × --ctx 256 needs {2000 * 256 * 64 / 1048576.0:F1} MiB of KV cache (f16); 16.0 MiB is available.", e.Message);
    }

    [Fact]
    public void Sizes_that_overflow_a_long_are_still_refused_not_wrapped()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => KvCacheBudget.Check(Model.Info, 256, sequences: int.MaxValue));
        Assert.Contains("sequences 2147483647 × contextLength 256 needs", e.Message);
    }

    [Fact]
    public void The_available_memory_is_measured_as_a_positive_figure() => Assert.InRange(KvCacheBudget.AvailableBytes(), 1, long.MaxValue);

    [Fact]
    public void Generation_refuses_a_context_beyond_the_models_instead_of_overflowing()
    {
        var options = new GenerationOptions { ContextLength = 10_000_000 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Model.Generator.Generate([1, 260], options).ToList());
        Assert.Contains("the model's context of 256", e.Message);
    }

    [Fact]
    public void A_session_longer_than_the_models_context_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.Network.CreateSession(257));
}
