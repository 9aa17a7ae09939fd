using System.Diagnostics;

namespace PhiSharp.Rag.Tests.Cli;

/// <summary>Runs the real `phi` command (built next to the tests) as a child process.</summary>
internal static class Phi
{
    // A guard against hangs, not a speed bound: an ingest embeds every chunk with the built-in model, which on a
    // busy 2-core machine took over two minutes for the evaluation corpus.
    static readonly TimeSpan DefaultLimit = TimeSpan.FromMinutes(5);

    public static ProcessStartInfo StartInfo(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "phi.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    public static (int Exit, string Out, string Err) Run(string workingDirectory, params string[] args) =>
        Run(StartInfo(workingDirectory, args), DefaultLimit);

    /// <summary>Runs phi, killing it and throwing <see cref="TimeoutException"/> after <paramref name="limit"/>, so a hang fails the test.</summary>
    public static (int Exit, string Out, string Err) Run(TimeSpan limit, string workingDirectory, params string[] args) =>
        Run(StartInfo(workingDirectory, args), limit);

    /// <summary>
    /// Runs phi with file permissions enforced even when the tests run as root (as CI does), for tests of unreadable
    /// files and folders: root would read a chmod 000 folder. setpriv drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH
    /// from the child's capability bounding set, so it stays root (the owner of the test's temp folder and of the
    /// build output it runs from) but is held to the permission bits like any owner.
    /// </summary>
    public static (int Exit, string Out, string Err) RunWithoutPermissionOverride(string workingDirectory, params string[] args)
    {
        var start = StartInfo(workingDirectory, args);
        if (Environment.IsPrivilegedProcess)
        {
            start.ArgumentList.Insert(0, start.FileName);
            start.ArgumentList.Insert(0, "--bounding-set=-dac_override,-dac_read_search");
            start.FileName = "setpriv";
        }
        return Run(start, DefaultLimit);
    }

    static (int Exit, string Out, string Err) Run(ProcessStartInfo start, TimeSpan limit)
    {
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"still running after {limit.TotalSeconds} s: phi {string.Join(' ', start.ArgumentList)}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>tests/fixtures/rag in the source tree (the tests run from bin/Release/net10.0 under tests/PhiSharp.Rag.Tests).</summary>
    public static string Fixtures { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "fixtures", "rag"));
}
