using System.Diagnostics;

namespace PhiSharp.Rag.Tests.Cli;

/// <summary>Runs the real `phi` command (built next to the tests) as a child process.</summary>
internal static class Phi
{
    public static ProcessStartInfo StartInfo(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "phi.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return start;
    }

    public static (int Exit, string Out, string Err) Run(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("phi " + string.Join(' ', args));
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>tests/fixtures/rag in the source tree (the tests run from bin/Release/net10.0 under tests/PhiSharp.Rag.Tests).</summary>
    public static string Fixtures { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "fixtures", "rag"));
}
