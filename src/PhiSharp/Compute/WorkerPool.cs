using System.Diagnostics;

namespace PhiSharp.Compute;

/// <summary>A unit of data-parallel work: items [start, end) are independent of every other range.</summary>
internal interface IParallelWork
{
    void Execute(int start, int end);
}

/// <summary>
/// One persistent set of worker threads shared by every operation of a model. The calling thread takes part,
/// so a pool of N threads starts N - 1 workers. Items are handed out in shrinking chunks through one atomic counter
/// (guided scheduling), so a slow core does not hold the others back and the threads finish together. Workers poll
/// for a millisecond after a job (the next matmul usually follows within microseconds), yielding the core between
/// polls, and then block, so an idle model costs no CPU.
/// Run is not reentrant: one job at a time, from one thread at a time.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    /// <summary>How long an idle worker polls for the next job before it blocks: longer than the serial work between
    /// two matmuls of a decode step (norms, rotary, attention: tens of microseconds), short enough that an idle model
    /// soon stops using the CPU.</summary>
    static readonly long SpinTicks = Stopwatch.Frequency / 1000;

    readonly Thread[] _workers;
    readonly SemaphoreSlim _wake = new(0);
    IParallelWork? _work;
    int _itemCount;
    int _minChunk;
    int _nextChunk;
    /// <summary>Workers that joined the running job, or <see cref="Closed"/> once the caller has run out of chunks: a
    /// worker that comes later skips the job, so that the caller waits only for workers that are working. (It waited for
    /// every worker to check in; on a loaded machine one that had not yet been scheduled cost a time slice per job.)</summary>
    int _joined = Closed;
    int _finishedWorkers;
    const int Closed = int.MinValue;
    long _generation;
    volatile bool _disposed;
    Exception? _failure;

    public int ThreadCount { get; }

    /// <summary>The most threads a pool takes: 4 × the logical cores. Beyond the cores threads only take turns, and each
    /// barrier waits for all of them (1000 threads made a 2-token run take 25 s and stopping take 35 s).</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    /// <summary>The pool size for a requested thread count: 0 means every logical core.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative or above <see cref="MaxThreads"/>.</exception>
    public static int ThreadsFor(int threads, string paramName = "threads")
    {
        if (threads < 0 || threads > MaxThreads)
            throw new ArgumentOutOfRangeException(paramName, threads,
                $"{threads} threads: give 0 (every logical core) to {MaxThreads} (4 × the {Environment.ProcessorCount} logical cores).");
        return threads == 0 ? Environment.ProcessorCount : threads;
    }

    public WorkerPool(int threadCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threadCount, 1);
        ThreadCount = threadCount;
        _workers = new Thread[threadCount - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(WorkerLoop) { IsBackground = true, Name = $"phi-worker-{i + 1}" };
            _workers[i].Start();
        }
    }

    /// <summary>Runs work over items [0, itemCount) on all threads and returns when every item is done.</summary>
    /// <param name="minChunk">Smallest number of items worth handing to one thread.</param>
    public void Run(IParallelWork work, int itemCount, int minChunk = 1)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (itemCount <= 0) return;
        if (_workers.Length == 0 || itemCount <= minChunk)
        {
            work.Execute(0, itemCount);
            return;
        }

        _minChunk = minChunk;
        _work = work;
        _itemCount = itemCount;
        _nextChunk = 0;
        _failure = null;
        _finishedWorkers = 0;
        Volatile.Write(ref _joined, 0); // opens the job: a worker that joins sees the fields above
        Interlocked.Increment(ref _generation);
        _wake.Release(_workers.Length);

        RunChunks();

        int joined = Interlocked.Exchange(ref _joined, Closed);
        var spin = new SpinWait();
        while (Volatile.Read(ref _finishedWorkers) != joined) spin.SpinOnce(sleep1Threshold: -1);
        _work = null;
        if (_failure is { } failure) throw new AggregateException("A parallel operation failed.", failure);
    }

    /// <summary>Takes chunks until none is left. Each is a 1/(4·threads) share of the items still unclaimed, at least
    /// the minimum: larger chunks first (few counter updates), then ever smaller ones, so that the thread that finishes
    /// first waits for at most a minimum chunk of the others. With four fixed chunks per thread it waited half a chunk
    /// on average, 1/16 of every matmul of a 2-thread decode step. The first chunk stays small enough (1/8 with two
    /// threads) that a thread preempted in it holds back little.</summary>
    void RunChunks()
    {
        var work = _work!;
        int items = _itemCount, minChunk = _minChunk, share = 4 * ThreadCount;
        while (true)
        {
            int start = Volatile.Read(ref _nextChunk);
            if (start >= items) return;
            int end = Math.Min(items, start + Math.Max(minChunk, (items - start) / share));
            if (Interlocked.CompareExchange(ref _nextChunk, end, start) != start) continue;
            try
            {
                work.Execute(start, end);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                _nextChunk = _itemCount; // the others stop picking new chunks
                return;
            }
        }
    }

    void WorkerLoop()
    {
        long seen = 0;
        while (true)
        {
            // Poll first: in a forward pass the next job follows almost at once. SpinOnce yields the core between polls
            // (after a few rounds of pure spinning): when the machine has fewer free cores than the pool has threads,
            // a worker that only spun kept the calling thread off its core for the whole poll, and every barrier of a
            // decode step cost a scheduler time slice (steps 4× slower on a loaded 2-core machine, docs/PERFORMANCE.md).
            // With the core to itself the yield returns at once.
            var spin = new SpinWait();
            long deadline = Stopwatch.GetTimestamp() + SpinTicks;
            while (Volatile.Read(ref _generation) == seen && !_disposed && Stopwatch.GetTimestamp() < deadline)
                spin.SpinOnce(sleep1Threshold: -1);
            _wake.Wait();
            if (_disposed) return;
            seen = Volatile.Read(ref _generation);
            if (!TryJoin()) continue;
            RunChunks();
            Interlocked.Increment(ref _finishedWorkers);
        }
    }

    bool TryJoin()
    {
        int joined;
        do
        {
            joined = Volatile.Read(ref _joined);
            if (joined == Closed) return false;
        } while (Interlocked.CompareExchange(ref _joined, joined + 1, joined) != joined);
        return true;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_workers.Length > 0) _wake.Release(_workers.Length);
        foreach (var t in _workers) t.Join();
        _wake.Dispose();
    }
}
