using System.Diagnostics;
using PhiSharp.Rag.Tests.Cli;
using Xunit.Abstractions;

namespace PhiSharp.Rag.Tests.Storage.Postgres;

/// <summary>
/// A `phi rag ingest --db postgres://…` process killed midway leaves a consistent database (each file is one
/// transaction: the file being written when the process died is rolled back when its connection drops), and the next
/// ingest completes the work.
/// </summary>
[Collection(PgliteCollection.Name)]
public sealed class PostgresKilledIngestTests(PgliteServer server, ITestOutputHelper output) : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly string _url = server.FreshDatabaseUrl();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_killed_ingest_leaves_a_consistent_database_and_the_next_run_finishes_the_work()
    {
        const int files = 1500;
        for (int i = 0; i < files; i++)
            _dir.Write($"docs/{i / 100}/{i}.md", $"# Note {i}\n\nThe number {i} is {(i % 2 == 0 ? "even" : "odd")}.\n\n## More\n\nSome more words about item{i}.\n");

        // PGlite runs every connection's queries in one session, so the progress is watched on the child's plain
        // progress lines (stderr while output is redirected; the first after 1 s) rather than through a second connection
        // (which would see the child's open transaction): the first line means files have been committed and more
        // are left. Without vectors (--embed-model none): the test is about commits, and 1,500 files' vectors would
        // take minutes.
        using (var process = Process.Start(Phi.StartInfo(_dir.Path, "rag", "ingest", _dir.File("docs"), "--db", _url, "--embed-model", "none"))!)
        {
            _ = process.StandardOutput.ReadToEndAsync();
            var watch = Stopwatch.StartNew();
            while (watch.Elapsed < TimeSpan.FromSeconds(120) && process.StandardError.ReadLine() is { } line && !line.StartsWith("ingesting: ", StringComparison.Ordinal)) { }
            output.WriteLine($"first progress line after {watch.Elapsed.TotalSeconds:F1} s");
            Assert.False(process.HasExited, "the ingest finished before it could be killed; the test needs more files");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        long documents = Count("documents"), chunks = Count("chunks");
        output.WriteLine($"killed after {documents} of {files} files ({chunks} chunks)");
        Assert.InRange(documents, 1, files - 1);
        Assert.Equal(documents * 2, chunks); // every committed document has all its chunks (two sections each)
        Assert.Equal(0L, server.Admin("SELECT count(*) FROM chunks c LEFT JOIN documents d ON d.id = c.document_id WHERE d.id IS NULL"));

        var (exit, report, error) = Phi.Run(_dir.Path, "rag", "ingest", _dir.File("docs"), "--db", _url, "--embed-model", "none");
        Assert.True(exit == 0, error);
        Assert.Contains($"{files - documents} added, 0 updated, {documents} unchanged", report);
        Assert.Equal((long)files, Count("documents"));
        Assert.Equal(2L * files, Count("chunks"));
        var (searchExit, json, _) = Phi.Run(_dir.Path, "rag", "search", "--db", _url, "--json", "--top", "1", "item1499");
        Assert.Equal(0, searchExit);
        Assert.Contains("1499.md", json);
    }

    long Count(string table) => (long)server.Admin($"SELECT count(*) FROM {table}")!;
}
