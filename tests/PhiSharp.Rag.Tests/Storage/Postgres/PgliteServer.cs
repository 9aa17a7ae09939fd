using System.Diagnostics;
using Npgsql;

namespace PhiSharp.Rag.Tests.Storage.Postgres;

/// <summary>
/// A real PostgreSQL wire server for the tests: tools/pglite/server.mjs (PGlite, PostgreSQL compiled to WASM, with
/// pgvector) as a child process on a free port. Installs its npm packages on first use (`npm ci`). PGlite is one
/// backend session shared by its connections, so the tests that use it form one collection, run one after another,
/// and close a store before looking at the tables through another connection;
/// each test starts from an emptied database (<see cref="FreshDatabaseUrl"/>). PGlite has one database and ignores
/// startup parameters such as search_path, so emptying it is the way to give a test its own.
/// </summary>
public sealed class PgliteServer : IDisposable
{
    readonly Process _process;
    public int Port { get; }

    /// <summary>tools/pglite in the source tree (the tests run from bin/Release/net10.0 under tests/PhiSharp.Rag.Tests).</summary>
    static string ToolDirectory { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "tools", "pglite"));

    public PgliteServer()
    {
        if (!Directory.Exists(Path.Combine(ToolDirectory, "node_modules"))) Npm("ci", "--no-audit", "--no-fund");
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = ToolDirectory,
            RedirectStandardInput = true, // the server exits when this closes, even if the test run is killed
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("server.mjs");
        start.ArgumentList.Add("0");
        _process = Process.Start(start)!;
        var stderr = _process.StandardError.ReadToEndAsync();
        var ready = _process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(120)) || ready.Result is not { } line || !line.StartsWith("ready "))
        {
            Dispose();
            throw new InvalidOperationException($"tools/pglite/server.mjs did not start: {(ready.IsCompleted ? ready.Result : "timed out")} {stderr.Result}");
        }
        Port = int.Parse(line.Split(' ')[2]);
        // Drain the rest of stdout so the server never blocks on a full pipe.
        _ = _process.StandardOutput.ReadToEndAsync();
    }

    public string Url => $"postgres://postgres:postgres@127.0.0.1:{Port}/postgres";

    /// <summary>The URL of the database after dropping everything in it (extensions included): a fresh database for one test.</summary>
    public string FreshDatabaseUrl()
    {
        Admin("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
        return Url;
    }

    /// <summary>Runs SQL on its own short-lived connection (PGlite takes one at a time) and returns the first value.</summary>
    public object? Admin(string sql)
    {
        var builder = Npgsql(Url);
        using var connection = new NpgsqlConnection(builder.ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        return command.ExecuteScalar();
    }

    static NpgsqlConnectionStringBuilder Npgsql(string url)
    {
        var builder = PhiSharp.Rag.Storage.PostgresUrl.Parse(url);
        builder.Pooling = false;
        return builder;
    }

    static void Npm(params string[] args)
    {
        var start = new ProcessStartInfo("npm") { WorkingDirectory = ToolDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var npm = Process.Start(start)!;
        var output = npm.StandardOutput.ReadToEndAsync();
        var errors = npm.StandardError.ReadToEndAsync();
        if (!npm.WaitForExit(300_000) || npm.ExitCode != 0)
            throw new InvalidOperationException($"npm {string.Join(' ', args)} in tools/pglite failed: {output.Result} {errors.Result}");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class PgliteCollection : ICollectionFixture<PgliteServer>
{
    public const string Name = "PGlite";
}
