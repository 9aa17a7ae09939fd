using System.Diagnostics;
using Xunit.Abstractions;

namespace PhiSharp.Server.Tests;

/// <summary>The fuzz test runs alone, so no other test's server allocates in the process while it measures memory.</summary>
[CollectionDefinition(nameof(FuzzCollection), DisableParallelization = true)]
public sealed class FuzzCollection;

/// <summary>
/// Random and mutated requests (<see cref="RequestFuzzer"/>) against a real server with a chat and an embedding
/// model, one at a time: none may get a 5xx, break its connection or hang, and the process's resident memory after
/// the fuzz must be within 20% of what it was after warm-up. The seed is fixed and printed with the counts, and a
/// failure names the request, so a run replays.
/// </summary>
[Collection(nameof(FuzzCollection))]
public sealed class FuzzTests(ITestOutputHelper output)
{
    const int Seed = 1_618_033;
    const int WarmUpRequests = 1000;
    const int MaxRequests = 5000;

    /// <summary>The fuzz stops at <see cref="MaxRequests"/> or after this long, whichever comes first.</summary>
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(25);

    /// <summary>A request is hung when it takes this long: the tiny model answers any of them in milliseconds.</summary>
    static readonly TimeSpan PerRequest = TimeSpan.FromSeconds(10);

    /// <summary>A small body limit, so oversized bodies (413) are cheap to send.</summary>
    const long MaxRequestBytes = 64 << 10;

    [Fact]
    public async Task Random_and_mutated_requests_get_no_5xx_no_hang_and_leave_memory_flat()
    {
        await using var server = await TestServer.StartAsync(new ServerOptions { Parallel = 2, MaxRequestBytes = MaxRequestBytes },
            embedModel: EmbeddingServer.ModelPath);

        // Warm-up with other requests of the same kinds: JIT, connection and buffer pools, the slots' caches.
        await SendAllAsync(server, Seed + 1, WarmUpRequests, TimeSpan.MaxValue);
        long before = ResidentBytes(), heapBefore = GC.GetTotalMemory(forceFullCollection: false);

        var clock = Stopwatch.StartNew();
        var statuses = await SendAllAsync(server, Seed, MaxRequests, Budget);
        long after = ResidentBytes(), heapAfter = GC.GetTotalMemory(forceFullCollection: false);

        int sent = statuses.Values.Sum();
        output.WriteLine($"seed {Seed}: {sent} requests in {clock.Elapsed.TotalSeconds:F1} s; status counts "
                         + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        output.WriteLine($"resident memory after warm-up {before >> 20} MiB, after the fuzz {after >> 20} MiB "
                         + $"(managed heap {heapBefore >> 20} MiB, then {heapAfter >> 20} MiB)");
        Assert.True(sent >= 200, $"only {sent} requests in {Budget}: too few to mean anything");
        // Only growth is a leak. 20% leaves room for the allocator's and thread pool's own variation between two
        // measurements; a leak of a few kilobytes per request would be more over a run of this length.
        Assert.True(after <= before * 1.2, $"resident memory grew from {before >> 20} MiB to {after >> 20} MiB over {sent} requests (seed {Seed})");
    }

    /// <summary>Sends requests one at a time; returns how many got each status. Fails at the first 5xx, broken connection or hang.</summary>
    static async Task<Dictionary<int, int>> SendAllAsync(TestServer server, int seed, int count, TimeSpan budget)
    {
        var fuzzer = new RequestFuzzer(new Random(seed), server.ModelId, MaxRequestBytes);
        var statuses = new Dictionary<int, int>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < count && clock.Elapsed < budget; i++)
        {
            var request = fuzzer.Next();
            int status = await SendAsync(server, request, $"request {i} of seed {seed}");
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
        }
        return statuses;
    }

    static async Task<int> SendAsync(TestServer server, FuzzRequest fuzz, string which)
    {
        using var message = new HttpRequestMessage(fuzz.Method, fuzz.Path);
        if (fuzz.Body is not null)
        {
            message.Content = new ByteArrayContent(fuzz.Body);
            if (fuzz.ContentType is not null) message.Content.Headers.TryAddWithoutValidation("Content-Type", fuzz.ContentType);
        }
        foreach (var (name, value) in fuzz.Headers)
            if (!message.Headers.TryAddWithoutValidation(name, value)) message.Content?.Headers.TryAddWithoutValidation(name, value);

        using var timeout = new CancellationTokenSource(PerRequest);
        try
        {
            using var response = await server.Http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
            int status = (int)response.StatusCode;
            Assert.True(status < 500, $"{which} got {status}: {fuzz}\n{await response.Content.ReadAsStringAsync()}");
            return status;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            Assert.Fail($"{which} had no complete answer after {PerRequest.TotalSeconds} s: {fuzz}");
            throw;
        }
        catch (HttpRequestException e)
        {
            Assert.Fail($"{which} broke its connection ({e.GetBaseException().Message}): {fuzz}");
            throw;
        }
    }

    /// <summary>The process's resident set after a full, compacting collection that returns free memory to the system.</summary>
    static long ResidentBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return Environment.WorkingSet;
    }
}
