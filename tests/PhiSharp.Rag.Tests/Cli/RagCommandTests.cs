using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Cli;

/// <summary>`phi rag` end to end as a real process: the stable --json shape, messages for bad input, and a killed ingest.</summary>
public sealed class RagCommandTests : IDisposable
{
    readonly TempDirectory _dir = new();
    string Db => _dir.File("rag.db");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Ingest_then_search_json_has_exactly_the_documented_shape()
    {
        var corpus = Path.Combine(Phi.Fixtures, "corpus");
        var (exit, output, error) = Phi.Run(_dir.Path, "rag", "ingest", corpus, "--db", Db);
        Assert.True(exit == 0, error);
        Assert.Contains("35 added", output);

        var (again, output2, _) = Phi.Run(_dir.Path, "rag", "ingest", corpus, "--db", Db);
        Assert.Equal(0, again);
        Assert.Contains("0 added, 0 updated, 35 unchanged", output2);

        var (searchExit, json, searchError) = Phi.Run(_dir.Path, "rag", "search", "--db", Db, "--json", "--top", "3", "tallest volcano on Mars");
        Assert.True(searchExit == 0, searchError);
        using var doc = JsonDocument.Parse(json);
        Assert.Equal(["hits"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        var hits = doc.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.InRange(hits.Count, 1, 3);
        foreach (var hit in hits)
        {
            Assert.Equal(["path", "chunk", "score", "text"], hit.EnumerateObject().Select(p => p.Name));
            Assert.Equal(JsonValueKind.Number, hit.GetProperty("chunk").ValueKind);
        }
        Assert.EndsWith("space/mars.md", hits[0].GetProperty("path").GetString());
        Assert.Contains("Olympus Mons", hits[0].GetProperty("text").GetString());
        var scores = hits.Select(h => h.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);
    }

    [Fact]
    public void Bad_input_gives_one_clear_line_and_exit_code_1()
    {
        Directory.CreateDirectory(_dir.File("empty"));
        AssertError(["rag", "ingest", _dir.File("empty"), "--db", Db], "no files found");
        AssertError(["rag", "search", "--db", Db, "cats"], "no RAG database at");

        using (var other = new SqliteConnection($"Data Source={_dir.File("other.db")};Pooling=false"))
        {
            other.Open();
            using var create = other.CreateCommand();
            create.CommandText = "CREATE TABLE invoices(id INTEGER)";
            create.ExecuteNonQuery();
        }
        _dir.Write("docs/a.txt", "cats purr");
        AssertError(["rag", "ingest", _dir.File("docs"), "--db", _dir.File("other.db")], "not a PhiSharp RAG store");

        Assert.Equal(0, Phi.Run(_dir.Path, "rag", "ingest", _dir.File("docs"), "--db", Db).Exit);
        AssertError(["rag", "search", "--db", Db, string.Concat(Enumerable.Repeat("cats purr ", 10_240))], "the limit is 4,096");
        AssertError(["rag", "eval", "--db", Db, "--questions", _dir.Write("q.jsonl", "{\"question\": \"x\"}\n")], "q.jsonl:1");
    }

    void AssertError(string[] args, string message)
    {
        var (exit, _, error) = Phi.Run(_dir.Path, args);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error); // a message, not a stack trace
    }

    [Fact]
    public async Task A_killed_ingest_leaves_a_consistent_database_and_the_next_run_finishes_the_work()
    {
        // Enough files that the ingest is still running when the first documents are committed.
        const int files = 4000;
        for (int i = 0; i < files; i++)
            _dir.Write($"docs/{i / 100}/{i}.md", $"# Note {i}\n\nThe number {i} is {(i % 2 == 0 ? "even" : "odd")}.\n\n## More\n\nSome more words about item{i}.\n");

        // Without vectors: the test is about commits, and the library ingest below has no embedding model.
        using (var process = Process.Start(Phi.StartInfo(_dir.Path, "rag", "ingest", _dir.File("docs"), "--db", Db, "--embed-model", "none"))!)
        {
            var watch = Stopwatch.StartNew();
            while (DocumentsCommitted() < 50 && !process.HasExited && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(5);
            Assert.False(process.HasExited, "the ingest finished before it could be killed; the test needs more files");
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        using (var store = SqliteRagStore.Open(Db, create: false))
        {
            store.CheckIntegrity(); // SQLite's and FTS5's own checks: the index agrees with the chunks
            var counts = store.Counts();
            Assert.InRange(counts.Documents, 50, files - 1);
            Assert.Equal(counts.Documents * 2, counts.Chunks); // every committed document has all its chunks (two sections each)
            Assert.Equal(counts.Chunks, counts.IndexedChunks);

            var report = await new Ingestor(store, new Chunker()).IngestAsync(Ingestor.FindFiles([_dir.File("docs")]));
            Assert.Equal(files, report.Added + report.Unchanged);
            Assert.Equal(counts.Documents, report.Unchanged);
            Assert.Equal(new StoreCounts(files, 2 * files, 2 * files, 0), store.Counts());
            store.CheckIntegrity();
            Assert.EndsWith("3999.md", store.SearchLexical("item3999", 1).Single().Path);
        }
    }

    long DocumentsCommitted()
    {
        if (!File.Exists(Db)) return 0;
        try
        {
            using var connection = new SqliteConnection($"Data Source={Db};Mode=ReadOnly;Pooling=false");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM documents";
            return (long)command.ExecuteScalar()!;
        }
        catch (SqliteException) { return 0; } // the schema is not created yet
    }
}
