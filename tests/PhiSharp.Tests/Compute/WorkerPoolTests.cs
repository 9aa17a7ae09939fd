using PhiSharp.Compute;

namespace PhiSharp.Tests.Compute;

public class WorkerPoolTests
{
    sealed class MarkItems(int[] hits) : IParallelWork
    {
        public void Execute(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    sealed class RecordChunks : IParallelWork
    {
        public readonly System.Collections.Concurrent.ConcurrentBag<(int Start, int End)> Chunks = [];
        public void Execute(int start, int end) => Chunks.Add((start, end));
    }

    sealed class Throws : IParallelWork
    {
        public void Execute(int start, int end) => throw new InvalidOperationException("boom");
    }

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 100_003)]
    public void Run_executes_every_item_exactly_once(int threads, int items)
    {
        using var pool = new WorkerPool(threads);
        var hits = new int[items];
        for (int round = 0; round < 50; round++) pool.Run(new MarkItems(hits), items);
        Assert.All(hits, h => Assert.Equal(50, h));
    }

    [Fact]
    public void Back_to_back_small_jobs_each_run_every_item_once()
    {
        // Workers that wake after the caller has taken every chunk skip that job (or join a later one): each job must
        // still see every item exactly once, and no job may wait for a worker that never joined.
        using var pool = new WorkerPool(4);
        var hits = new int[8];
        for (int round = 0; round < 5000; round++) pool.Run(new MarkItems(hits), hits.Length);
        Assert.All(hits, h => Assert.Equal(5000, h));
    }

    [Fact]
    public void A_failing_work_item_surfaces_its_exception_and_the_pool_stays_usable()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new Throws(), 1000));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var hits = new int[10];
        pool.Run(new MarkItems(hits), 10);
        Assert.All(hits, h => Assert.Equal(1, h));
    }

    [Fact]
    public void Chunks_shrink_from_an_eighth_of_the_items_to_the_minimum()
    {
        // Two threads: each chunk is an eighth of what is left, at least minChunk, so the last ones are small and the
        // thread that finishes first waits for at most one of them.
        using var pool = new WorkerPool(2);
        var work = new RecordChunks();
        pool.Run(work, 1000, minChunk: 3);
        var chunks = work.Chunks.OrderBy(c => c.Start).ToArray();
        Assert.Equal(0, chunks[0].Start);
        Assert.Equal(1000, chunks[^1].End);
        for (int i = 1; i < chunks.Length; i++) Assert.Equal(chunks[i - 1].End, chunks[i].Start);
        Assert.Equal(125, chunks[0].End);
        Assert.All(chunks[..^1], c => Assert.True(c.End - c.Start >= 3, $"chunk {c} is under the minimum"));
        Assert.True(chunks[^1].End - chunks[^1].Start <= 3, $"the last chunk {chunks[^1]} is larger than the minimum");
    }
}
