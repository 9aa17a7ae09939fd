using System.Diagnostics;
using PhiSharp.Hub;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PhiSharp.Cli;

/// <summary>What the long pieces of work count in.</summary>
enum WorkUnit { Bytes, Weights, Files }

/// <summary>How far one piece of work is: "downloading X", 1.2 of 2.4 GiB; "ingesting", 120 of 3,400 files.</summary>
sealed record WorkProgress(string Verb, string Item, long Done, long Total, WorkUnit Unit);

/// <summary>
/// Shows the progress of long work (download, conversion, quantization, loading a large model file, ingesting a
/// folder): amount, rate and time left. On a terminal a Spectre.Console bar per item; when output is redirected or
/// JSON is asked for, a plain line on stderr every few seconds, so stdout carries only the command's result. Reports
/// may come from several threads.
/// </summary>
static class ProgressDisplay
{
    /// <param name="plain">Plain lines even on a terminal (--json).</param>
    /// <param name="announceEnd">Also a plain line when an item completes, however quickly (a pull says what it
    /// fetched); otherwise only work that lasted long enough to be reported on gets its end reported.</param>
    public static async Task<T> RunAsync<T>(bool plain, bool announceEnd, Func<IProgress<WorkProgress>, Task<T>> work)
    {
        if (plain || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return await work(new PlainLines(announceEnd));
        T result = default!;
        await AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new AmountAndRateColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = await work(new Relay<WorkProgress>(p =>
                {
                    lock (tasks)
                    {
                        string key = $"{p.Verb}:{p.Item}";
                        if (!tasks.TryGetValue(key, out var task))
                        {
                            tasks[key] = task = context.AddTask(Markup.Escape($"{p.Verb} {p.Item}".Trim()), maxValue: Math.Max(1, p.Total));
                            task.State.Update<WorkUnit>("unit", _ => p.Unit);
                        }
                        task.MaxValue = Math.Max(1, p.Total);
                        task.Value = Math.Max(task.Value, p.Done); // reports from several threads may arrive out of order
                    }
                }));
            });
        return result;
    }

    /// <summary>A pull's download and conversion, on this display.</summary>
    public static Task<T> PullAsync<T>(bool plain, Func<IProgress<PullProgress>, Task<T>> pull) =>
        RunAsync(plain, announceEnd: true, progress => pull(new Relay<PullProgress>(p => progress.Report(p.Stage == PullStage.Download
            ? new WorkProgress("downloading", p.Item, p.Done, p.Total, WorkUnit.Bytes)
            : new WorkProgress("converting", p.Item, p.Done, p.Total, WorkUnit.Weights)))));

    /// <summary>"1.2/2.4 GiB 35.1 MiB/s", "3.1/3.8 M weights 40.2 M/s", "120/3400 files 12.1/s".</summary>
    sealed class AmountAndRateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Text(Amount(task.State.Get<WorkUnit>("unit"), (long)task.Value, (long)task.MaxValue, task.Speed ?? 0));
    }

    static string Amount(WorkUnit unit, long done, long total, double rate) => unit switch
    {
        WorkUnit.Bytes => $"{Units.Bytes(done)}/{Units.Bytes(total)} {Units.Bytes((long)rate)}/s",
        WorkUnit.Weights => $"{done / 1e6:F1}/{total / 1e6:F1} M weights {rate / 1e6:F1} M/s",
        _ => $"{done}/{total} files {FileRate(rate)}",
    };

    /// <summary>Files a second, or a minute when they are large (embedding a long file takes seconds).</summary>
    static string FileRate(double perSecond) => perSecond >= 1 ? $"{perSecond:F1}/s" : $"{perSecond * 60:F1}/min";

    /// <summary>Reports where they are made, in order (System.Progress would post them to the thread pool).</summary>
    sealed class Relay<TReport>(Action<TReport> report) : IProgress<TReport>
    {
        public void Report(TReport value) => report(value);
    }

    /// <summary>One line per item after its first second (so a log shows soon that long work started), then every 5
    /// seconds, and when it completes.</summary>
    sealed class PlainLines(bool announceEnd) : IProgress<WorkProgress>
    {
        static readonly TimeSpan FirstLine = TimeSpan.FromSeconds(1), Interval = TimeSpan.FromSeconds(5);
        string? _item;
        long _startDone;
        bool _reported, _ended;
        readonly Stopwatch _clock = new(), _sinceLine = new();

        public void Report(WorkProgress p)
        {
            lock (_clock)
            {
                string item = $"{p.Verb}:{p.Item}";
                if (item != _item)
                {
                    (_item, _startDone, _reported, _ended) = (item, p.Done, false, false);
                    _clock.Restart();
                    _sinceLine.Restart();
                    if (p.Done < p.Total) return;
                }
                bool done = p.Done >= p.Total;
                if (_ended || (done ? !announceEnd && !_reported : _sinceLine.Elapsed < (_reported ? Interval : FirstLine))) return;
                (_reported, _ended) = (true, done);
                _sinceLine.Restart();
                double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3), rate = (p.Done - _startDone) / seconds;
                string left = done ? "done" : rate > 0 ? $"{TimeSpan.FromSeconds((p.Total - p.Done) / rate):hh\\:mm\\:ss} left" : "";
                string percent = $"{100.0 * p.Done / Math.Max(1, p.Total):F0}%";
                Console.Error.WriteLine(p.Unit switch
                {
                    WorkUnit.Bytes => $"{p.Verb} {p.Item}: {Units.Bytes(p.Done)} of {Units.Bytes(p.Total)} ({percent}), {Units.Bytes((long)rate)}/s, {left}",
                    WorkUnit.Weights => $"{p.Verb} {p.Item}: {percent} of {p.Total / 1e6:F1} M weights, {rate / 1e6:F1} M/s, {left}",
                    _ => $"{p.Verb}{(p.Item.Length > 0 ? " " + p.Item : "")}: {p.Done} of {p.Total} files ({percent}), {FileRate(rate)}, {left}",
                });
            }
        }
    }
}

static class Units
{
    public static string Bytes(long n) => n >= 1L << 30 ? $"{n / (double)(1L << 30):F2} GiB"
        : n >= 1L << 20 ? $"{n / (double)(1L << 20):F1} MiB" : n >= 1L << 10 ? $"{n / 1024.0:F1} KiB" : $"{n} B";
}
