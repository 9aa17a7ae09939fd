using System.Diagnostics;

namespace PhiSharp.Compute;

/// <summary>A unit of data-parallel work: items [start, end) are independent of every other range.</summary>
internal interface IParallelWork
{
    void Execute(int start, int end);
}

/// <summary>
/// One persistent set of worker threads shared by every operation of a model. The calling thread takes part,
/// so a pool of N threads starts N - 1 workers. Each thread works through its own contiguous share of the items and
/// then takes over half of what another has left (<see cref="ItemShares"/>), so a slow core does not hold the others
/// back and the threads finish together, while each core reads a matmul's weights as one stream. Handing out shrinking
/// chunks of all the items through one counter (guided scheduling), as it did, gave each thread some 15–20 chunks of a
/// matmul scattered over the matrix, each a new stream for the hardware prefetchers: a one-token 3072 × 3072 Q4_K
/// matmul streamed 46–53 GB/s of weights that way and 51–67 from two contiguous halves, and Phi-3-mini Q4_K_M generates
/// 21.1–22.2 tok/s with shares against 18.3–20.4 (5 alternating pairs; AMD Zen 5, docs/PERFORMANCE.md). Workers poll
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
    readonly ItemShares _shares;
    IParallelWork? _work;
    /// <summary>The running job's generation (high 32 bits) and how many workers joined it (low 32 bits), or
    /// <see cref="Closed"/> there once the caller has run out of chunks: a worker that comes later skips the job, so that
    /// the caller waits only for workers that are working. (It waited for every worker to check in; on a loaded machine
    /// one that had not yet been scheduled cost a time slice per job.) The generation makes a join one of the job the
    /// worker saw: a worker preempted between seeing a job and joining it, while that job closed and the next opened,
    /// would otherwise join the next one unawares, and then again, with a share past the last (it crashed a CLI run).</summary>
    long _joined = Closed;
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
        _shares = new ItemShares(threadCount);
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

        _work = work;
        _shares.Reset(itemCount, minChunk);
        _failure = null;
        _finishedWorkers = 0;
        long generation = _generation + 1; // only this thread writes it
        Volatile.Write(ref _joined, generation << 32); // opens the job: a worker that joins sees the fields above
        Volatile.Write(ref _generation, generation);
        _wake.Release(_workers.Length);

        RunChunks(0);

        int joined = (int)Interlocked.Exchange(ref _joined, generation << 32 | unchecked((uint)Closed));
        var spin = new SpinWait();
        while (Volatile.Read(ref _finishedWorkers) != joined) spin.SpinOnce(sleep1Threshold: -1);
        _work = null;
        if (_failure is { } failure) throw new AggregateException("A parallel operation failed.", failure);
    }

    /// <summary>Runs chunks of this thread's share (the caller's is 0, a worker's the order it joined in) and then of
    /// shares it takes over, until none is left.</summary>
    void RunChunks(int share)
    {
        var work = _work!;
        while (_shares.Next(share, out int start, out int end))
        {
            try
            {
                work.Execute(start, end);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
                _shares.Stop(); // the others take no new chunks
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
            // A wake-up left over from a job this worker skipped can come while the job it has just done still runs
            // (a prompt's matmul outlasts the poll): one share per worker and job, so it does not join that one again.
            long generation = Volatile.Read(ref _generation);
            if (generation == seen) continue;
            seen = generation;
            if (!TryJoin(generation, out int share)) continue;
            RunChunks(share);
            Interlocked.Increment(ref _finishedWorkers);
        }
    }

    /// <summary>Joins job <paramref name="generation"/> unless the caller has closed it or opened a later one; the
    /// workers' shares are 1.. in joining order.</summary>
    bool TryJoin(long generation, out int share)
    {
        long state;
        do
        {
            state = Volatile.Read(ref _joined);
            share = (int)state + 1;
            if ((uint)(state >>> 32) != (uint)generation || (int)state == Closed) return false;
        } while (Interlocked.CompareExchange(ref _joined, state + 1, state) != state);
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
