using System.Diagnostics;
using PhiSharp.Hub;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PhiSharp.Cli.Commands.Models;

/// <summary>
/// Shows a pull's progress: bytes (or weights converted), rate and time left. On a terminal a Spectre.Console bar per
/// file; when output is redirected or JSON is asked for, a plain line on stderr every few seconds and at the end of
/// each file, so stdout carries only the command's result.
/// </summary>
static class PullDisplay
{
    public static async Task<T> RunAsync<T>(bool plain, Func<IProgress<PullProgress>, Task<T>> pull)
    {
        if (plain || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return await pull(new PlainLines());
        T result = default!;
        await AnsiConsole.Progress().AutoClear(false).HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new AmountAndRateColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                result = await pull(new Relay(p =>
                {
                    string key = $"{p.Stage}:{p.Item}";
                    if (!tasks.TryGetValue(key, out var task))
                    {
                        string verb = p.Stage == PullStage.Download ? "downloading" : "converting";
                        tasks[key] = task = context.AddTask(Markup.Escape($"{verb} {p.Item}"), maxValue: Math.Max(1, p.Total));
                        task.State.Update<bool>("bytes", _ => p.Stage == PullStage.Download);
                        // A resumed download's first bytes were not fetched now: the rate counts from here.
                        task.State.Update<long>("start", _ => p.Done);
                    }
                    task.MaxValue = Math.Max(1, p.Total);
                    task.Value = p.Done;
                }));
            });
        return result;
    }

    /// <summary>"1.2/2.4 GiB 35.1 MiB/s" for a download, "3.1/3.8 M weights 40.2 M/s" for a conversion.</summary>
    sealed class AmountAndRateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            bool bytes = task.State.Get<bool>("bytes");
            double rate = task.Speed ?? 0;
            string text = bytes ? $"{Units.Bytes((long)task.Value)}/{Units.Bytes((long)task.MaxValue)} {Units.Bytes((long)rate)}/s"
                : $"{task.Value / 1e6:F1}/{task.MaxValue / 1e6:F1} M weights {rate / 1e6:F1} M/s";
            return new Text(text);
        }
    }

    sealed class Relay(Action<PullProgress> report) : IProgress<PullProgress>
    {
        public void Report(PullProgress value) => report(value);
    }

    /// <summary>One line per file every 5 seconds and when it completes.</summary>
    sealed class PlainLines : IProgress<PullProgress>
    {
        static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);
        string? _item;
        long _startDone;
        readonly Stopwatch _clock = new(), _sinceLine = new();

        public void Report(PullProgress p)
        {
            if (p.Item != _item)
            {
                (_item, _startDone) = (p.Item, p.Done);
                _clock.Restart();
                _sinceLine.Restart();
                return;
            }
            bool done = p.Done >= p.Total;
            if (!done && _sinceLine.Elapsed < Interval) return;
            _sinceLine.Restart();
            double seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3), rate = (p.Done - _startDone) / seconds;
            string left = done ? "done" : rate > 0 ? $"{TimeSpan.FromSeconds((p.Total - p.Done) / rate):hh\\:mm\\:ss} left" : "";
            Console.Error.WriteLine(p.Stage == PullStage.Download
                ? $"downloading {p.Item}: {Units.Bytes(p.Done)} of {Units.Bytes(p.Total)} ({100.0 * p.Done / Math.Max(1, p.Total):F0}%), {Units.Bytes((long)rate)}/s, {left}"
                : $"converting {p.Item}: {100.0 * p.Done / Math.Max(1, p.Total):F0}% of {p.Total / 1e6:F1} M weights, {rate / 1e6:F1} M/s, {left}");
        }
    }
}

static class Units
{
    public static string Bytes(long n) => n >= 1L << 30 ? $"{n / (double)(1L << 30):F2} GiB"
        : n >= 1L << 20 ? $"{n / (double)(1L << 20):F1} MiB" : n >= 1L << 10 ? $"{n / 1024.0:F1} KiB" : $"{n} B";
}
