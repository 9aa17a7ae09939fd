using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace PhiSharp.Models.Decoder;

/// <summary>
/// Continuous batching for the sessions of one <see cref="DecoderModel"/>: the forwards that sessions on different
/// threads ask for at once are evaluated together, in steps of at most one chunk of rows, so that the weights are
/// read once per step for all of them. Requests join whenever they arrive and leave when their last row is done;
/// a prompt is taken a part at a time, so it never stalls the other sessions' decoding for its whole prefill.
/// <para>
/// There is no scheduler thread: a caller whose request is unfinished runs the next step when none is running (for
/// everyone's rows), and waits otherwise. The caller of a finished request returns at once, to sample its next token.
/// Those callers are expected back within a fraction of a step; the runner of the next step waits up to
/// <see cref="GraceFraction"/> of the last step's time for them, so that decoding sessions stay in one batch rather
/// than alternating between half-full steps. A session whose generation has ended says so (<see cref="Leave"/>) and
/// is not waited for: otherwise every finished request cost the others half a step.
/// </para>
/// </summary>
internal sealed class StepScheduler
{
    /// <summary>Prompt rows a step takes besides the decode rows of other sessions: the prefill goes on at a good
    /// rate (weights are reused across rows), while each decode step of the others costs at most this many rows more.</summary>
    public const int PromptRowsBesideDecoding = 16;

    /// <summary>The longest a step's runner waits for the sessions that left the previous step, as a fraction of that
    /// step's time: a session that misses a step waits a whole one, so waiting up to half of one pays. Waits under a
    /// millisecond are skipped: steps that short gain little from batching.</summary>
    const double GraceFraction = 0.5;

    readonly DecoderModel _model;
    readonly object _gate = new();
    readonly List<ForwardRequest> _pending = [];
    ForwardRequest[] _step = [];
    int[] _stepRows = [];
    bool _running;
    long _steps;
    int _returning;
    long _lastStepTicks;
    long _rows;
    int _stepCount;

    public StepScheduler(DecoderModel model) => _model = model;

    /// <summary>Steps run so far, and rows they evaluated: rows ÷ steps is the mean batch.</summary>
    public long Steps => Volatile.Read(ref _steps);
    public long Rows => Volatile.Read(ref _rows);

    /// <summary>Callers of the last step's finished requests that the next step's runner still waits for.</summary>
    public int Returning
    {
        get { lock (_gate) return _returning; }
    }

    /// <summary>Requests waiting for a step.</summary>
    public int Pending
    {
        get { lock (_gate) return _pending.Count; }
    }

    /// <summary>Evaluates <paramref name="requests"/> (set up by their sessions), together with whatever other
    /// sessions ask for meanwhile, and returns when all of them are done.</summary>
    public void Evaluate(ReadOnlySpan<ForwardRequest> requests)
    {
        lock (_gate)
        {
            foreach (var request in requests) Join(request);
            Monitor.PulseAll(_gate);
        }
        while (true)
        {
            lock (_gate)
            {
                while (_running && !AllCompleted(requests)) Monitor.Wait(_gate);
                if (AllCompleted(requests)) break;
                _running = true;
                AwaitReturning();
                Select();
            }
            RunStep();
        }
        foreach (var request in requests) request.Failure?.Throw();
    }

    /// <summary>Holds off every step until the returned scope is disposed: work that borrows the model's worker pool
    /// (a vision tower encoding an image) runs between steps, never during one.</summary>
    public Pause Exclusive()
    {
        lock (_gate)
        {
            while (_running) Monitor.Wait(_gate);
            _running = true;
        }
        return new Pause(this);
    }

    public readonly struct Pause(StepScheduler scheduler) : IDisposable
    {
        public void Dispose()
        {
            lock (scheduler._gate)
            {
                scheduler._running = false;
                Monitor.PulseAll(scheduler._gate);
            }
        }
    }

    /// <summary>The caller of <paramref name="request"/> asks for nothing more soon: the next step does not wait for it.</summary>
    public void Leave(ForwardRequest request)
    {
        lock (_gate)
        {
            if (!Returned(request)) return;
            Monitor.PulseAll(_gate);
        }
    }

    void Join(ForwardRequest request)
    {
        Returned(request);
        _pending.Add(request);
    }

    /// <summary>Counts the caller of a request the last step finished as back, once (under the gate).</summary>
    bool Returned(ForwardRequest request)
    {
        if (request.CompletedInStep != _steps || _returning == 0) return false;
        request.CompletedInStep = -1;
        _returning--;
        return true;
    }

    static bool AllCompleted(ReadOnlySpan<ForwardRequest> requests)
    {
        foreach (var r in requests)
            if (!r.Completed) return false;
        return true;
    }

    /// <summary>Waits (with the gate released) for the callers of the last step's finished requests to come back.</summary>
    void AwaitReturning()
    {
        long graceMs = (long)(_lastStepTicks * GraceFraction * 1000 / Stopwatch.Frequency);
        if (graceMs >= 1)
        {
            long deadline = Environment.TickCount64 + graceMs;
            for (long left = graceMs; _returning > 0 && left > 0; left = deadline - Environment.TickCount64)
                Monitor.Wait(_gate, (int)left);
        }
        _returning = 0;
    }

    /// <summary>Chooses the step's rows: every decoding session's next token, then prompt rows in arrival order up to
    /// the chunk (or <see cref="PromptRowsBesideDecoding"/> of them when sessions are decoding). An encoder's input is
    /// taken whole, since its queries see every key.</summary>
    void Select()
    {
        int capacity = _model.ChunkCapacity, count = 0, rows = 0;
        if (_step.Length < capacity)
        {
            _step = new ForwardRequest[capacity];
            _stepRows = new int[capacity];
        }
        if (_model.Network.SeesWholeSequence)
        {
            foreach (var r in _pending)
                if (rows + r.Count <= capacity || count == 0)
                    (_step[count], _stepRows[count++], rows) = (r, r.Count, rows + r.Count);
        }
        else
        {
            foreach (var r in _pending)
                if (r.Remaining == 1 && rows < capacity)
                    (_step[count], _stepRows[count++], rows) = (r, 1, rows + 1);
            int budget = rows > 0 ? Math.Min(capacity, rows + PromptRowsBesideDecoding) : capacity;
            foreach (var r in _pending)
                if (r.Remaining > 1 && rows < budget)
                {
                    int take = Math.Min(r.Remaining, budget - rows);
                    (_step[count], _stepRows[count++], rows) = (r, take, rows + take);
                }
        }
        _stepCount = count;
    }

    void RunStep()
    {
        var step = _step.AsSpan(0, _stepCount);
        var rows = _stepRows.AsSpan(0, _stepCount);
        long started = Stopwatch.GetTimestamp();
        ExceptionDispatchInfo? failure = null;
        try
        {
            _model.Step(step, rows);
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }
        lock (_gate)
        {
            _lastStepTicks = Stopwatch.GetTimestamp() - started;
            long id = ++_steps;
            _returning = 0;
            for (int i = 0; i < step.Length; i++)
            {
                var r = step[i];
                _rows += rows[i];
                r.Done += rows[i];
                if (failure is null && r.Remaining > 0) continue;
                r.Failure = failure;
                r.Completed = true;
                _pending.Remove(r);
                if (failure is null && !r.AllPositions)
                {
                    r.CompletedInStep = id;
                    _returning++;
                }
            }
            _running = false;
            Monitor.PulseAll(_gate);
        }
    }
}
