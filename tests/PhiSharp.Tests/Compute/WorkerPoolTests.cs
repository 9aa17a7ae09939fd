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

    sealed class SlowCallerChunk(int callerThread, int[] hits) : IParallelWork
    {
        public void Execute(int start, int end)
        {
            if (start == 0 && Environment.CurrentManagedThreadId == callerThread) Thread.Sleep(20);
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    [Fact]
    public void A_worker_joins_a_job_once_even_when_it_outlasts_the_workers_poll()
    {
        // Jobs shorter than a worker's poll leave it wake-ups for jobs it skipped; in a job whose caller is still busy
        // after the worker's poll (1 ms) has ended, such a wake-up must not make the worker join that job again.
        using var pool = new WorkerPool(2);
        var hits = new int[64];
        for (int round = 0; round < 10; round++)
        {
            for (int small = 0; small < 200; small++) pool.Run(new MarkItems(new int[2]), 2);
            pool.Run(new SlowCallerChunk(Environment.CurrentManagedThreadId, hits), hits.Length);
        }
        Assert.All(hits, h => Assert.Equal(10, h));
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

    /// <summary>Records the caller's chunks; a worker's chunks take 50 ms, so that it cannot take over the back of the
    /// caller's share while the caller is still in it.</summary>
    sealed class RecordChunks(int callerThread) : IParallelWork
    {
        public readonly List<(int Start, int End)> CallerChunks = [];
        public void Execute(int start, int end)
        {
            if (Environment.CurrentManagedThreadId == callerThread) CallerChunks.Add((start, end));
            else Thread.Sleep(50);
        }
    }

    [Fact]
    public void The_caller_takes_its_share_front_to_back_a_quarter_of_what_is_left_at_a_time()
    {
        // Two threads: the caller's share is items 0–499. Its chunks follow one another (one stream through a matrix),
        // each a quarter of what is left of the share, at least minChunk. (A worker done with its own share could take
        // the back of the caller's; the worker here is too slow to.)
        using var pool = new WorkerPool(2);
        var work = new RecordChunks(Environment.CurrentManagedThreadId);
        pool.Run(work, 1000, minChunk: 3);
        var own = work.CallerChunks.TakeWhile(c => c.Start < 500).ToArray();
        Assert.Equal((0, 125), own[0]);
        Assert.Equal((125, 218), own[1]); // (500 − 125) / 4 = 93
        for (int i = 1; i < own.Length; i++) Assert.Equal(own[i - 1].End, own[i].Start);
        Assert.All(own[..^1], c => Assert.True(c.End - c.Start >= 3, $"chunk {c} is under the minimum"));
    }

    sealed class SlowWorker(int callerThread, int[] hits) : IParallelWork
    {
        public int CallerItemsOfTheOtherShare;
        public void Execute(int start, int end)
        {
            if (Environment.CurrentManagedThreadId != callerThread) Thread.Sleep(300);
            else CallerItemsOfTheOtherShare += Math.Max(0, end - Math.Max(start, 500));
            for (int i = start; i < end; i++) Interlocked.Increment(ref hits[i]);
        }
    }

    [Fact]
    public void A_held_up_thread_keeps_only_the_chunk_it_is_in()
    {
        // The worker stalls in its first chunk (at most a quarter of its share of 500); the caller, done with its own
        // share, takes over the rest of the worker's, half of what is left at a time. A worker that never joins leaves
        // all 500 to the caller.
        using var pool = new WorkerPool(2);
        var hits = new int[1000];
        var work = new SlowWorker(Environment.CurrentManagedThreadId, hits);
        pool.Run(work, 1000, minChunk: 3);
        Assert.All(hits, h => Assert.Equal(1, h));
        Assert.InRange(work.CallerItemsOfTheOtherShare, 375, 500);
    }
}
