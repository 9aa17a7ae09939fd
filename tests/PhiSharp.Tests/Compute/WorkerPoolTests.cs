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
    public void A_failing_work_item_surfaces_its_exception_and_the_pool_stays_usable()
    {
        using var pool = new WorkerPool(2);
        var e = Assert.Throws<AggregateException>(() => pool.Run(new Throws(), 1000));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var hits = new int[10];
        pool.Run(new MarkItems(hits), 10);
        Assert.All(hits, h => Assert.Equal(1, h));
    }
}
