using System.Diagnostics;
using System.Text.Json;

namespace PhiSharp.Server.Tests;

/// <summary>
/// The official openai npm client (tools/openai-client/tool_loop.mjs, its packages installed with `npm ci` from the
/// committed lock file) runs its tool loop against the served tiny models: streamed and plain calls, tool results fed
/// back, a text answer, and runTools.
/// </summary>
public sealed class OpenAiClientToolLoopTests(ToolServers servers) : IClassFixture<ToolServers>
{
    static string ToolDirectory { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "tools", "openai-client"));

    static readonly Lock InstallLock = new();

    static (int ExitCode, string Output, string Errors) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = ToolDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(300_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 5 minutes.");
        }
        return (process.ExitCode, output.Result, errors.Result);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_openai_npm_clients_tool_loop_runs_against_phi_serve(bool phi4MiniLike)
    {
        lock (InstallLock)
            if (!Directory.Exists(Path.Combine(ToolDirectory, "node_modules")))
            {
                var npm = Run("npm", "ci", "--no-audit", "--no-fund");
                Assert.True(npm.ExitCode == 0, npm.Errors);
            }
        var (exitCode, output, errors) = Run("node", "tool_loop.mjs", new Uri(servers.Of(phi4MiniLike).Address, "v1").ToString());
        Assert.True(exitCode == 0, output + errors);
        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.True(result.GetProperty("ok").GetBoolean());
        Assert.Equal(["get_temperature", "to_fahrenheit"], result.GetProperty("called").EnumerateArray().Select(c => c.GetString()));
    }
}
