using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PhiSharp.Rag.Storage;
using PhiSharp.Rag.Tests.Cli;

namespace PhiSharp.Rag.Tests.Storage.Postgres;

/// <summary>`phi rag ... --db postgres://...` as a real process against PGlite, and the messages for a database that cannot be used.</summary>
[Collection(PgliteCollection.Name)]
public sealed class PostgresCommandTests(PgliteServer server) : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly string _url = server.FreshDatabaseUrl();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Ingest_search_and_eval_work_on_postgres()
    {
        var corpus = Path.Combine(Phi.Fixtures, "corpus");
        var (exit, output, error) = Phi.Run(_dir.Path, "rag", "ingest", corpus, "--db", _url);
        Assert.True(exit == 0, error);
        Assert.Contains("35 added", output);
        var (again, output2, _) = Phi.Run(_dir.Path, "rag", "ingest", corpus, "--db", _url);
        Assert.Equal(0, again);
        Assert.Contains("0 added, 0 updated, 35 unchanged", output2);

        var (searchExit, json, searchError) = Phi.Run(_dir.Path, "rag", "search", "--db", _url, "--json", "--top", "3", "tallest volcano on Mars");
        Assert.True(searchExit == 0, searchError);
        using var doc = JsonDocument.Parse(json);
        var hits = doc.RootElement.GetProperty("hits").EnumerateArray().ToList();
        Assert.InRange(hits.Count, 1, 3);
        Assert.All(hits, hit => Assert.Equal(["path", "chunk", "score", "text"], hit.EnumerateObject().Select(p => p.Name)));
        Assert.EndsWith("space/mars.md", hits[0].GetProperty("path").GetString());
        var scores = hits.Select(h => h.GetProperty("score").GetDouble()).ToList();
        Assert.Equal(scores.OrderDescending(), scores);

        var (evalExit, evalJson, evalError) = Phi.Run(_dir.Path, "rag", "eval", "--db", _url, "--json", "--questions", Path.Combine(Phi.Fixtures, "questions.jsonl"));
        Assert.True(evalExit == 0, evalError);
        using var eval = JsonDocument.Parse(evalJson);
        Assert.Equal(70, eval.RootElement.GetProperty("questions").GetInt32());
        // Measured 1.000 (docs/RAG.md); the bound leaves room for a ranking change, not for a broken index.
        Assert.True(eval.RootElement.GetProperty("recall").GetProperty("10").GetDouble() >= 0.95, evalJson);
    }

    [Fact]
    public void A_database_that_cannot_be_used_gives_one_clear_line()
    {
        _dir.Write("docs/a.txt", "cats purr");
        AssertError(["rag", "search", "--db", _url, "cats"], "holds no PhiSharp RAG store");

        int closed = ClosedPort();
        var refused = $"postgres://me:s3cret@127.0.0.1:{closed}/rag";
        var message = AssertError(["rag", "ingest", _dir.File("docs"), "--db", refused], $"cannot use PostgreSQL database me@127.0.0.1:{closed}/rag");
        Assert.Contains("refused", message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("s3cret", message);

        AssertError(["rag", "search", "--db", "postgresql://me:s3cret@127.0.0.1:5432", "cats"], "names no database");
        AssertError(["rag", "search", "--db", "postgres://me:s3cret@127.0.0.1:99999/rag", "cats"], "is not a PostgreSQL URL");
        AssertError(["rag", "search", "--db", "postgres://127.0.0.1/rag?frobnicate=1", "cats"], "bad connection parameter 'frobnicate'");

        server.Admin("CREATE TABLE chunks(id integer)");
        AssertError(["rag", "ingest", _dir.File("docs"), "--db", _url], "not a PhiSharp RAG store");
        Assert.Equal(false, server.Admin("SELECT to_regclass('rag_meta') IS NOT NULL"));
    }

    [Fact]
    public void Urls_are_read_and_passwords_never_shown()
    {
        var b = PostgresUrl.Parse("postgresql://r%40g:p%3Aw@db.example:6543/my%20rag?sslmode=require");
        Assert.Equal(("r@g", "p:w", "db.example", 6543, "my rag"), (b.Username, b.Password, b.Host, b.Port, b.Database));
        Assert.Equal("require", b["sslmode"]!.ToString(), ignoreCase: true);
        Assert.Equal(5432, PostgresUrl.Parse("postgres://u@h/d").Port);
        Assert.Equal("postgres://u:***@h/d", PostgresUrl.Redact("postgres://u:pw@h/d"));
        Assert.DoesNotContain("pw", Assert.Throws<RagStoreException>(() => PostgresUrl.Parse("postgres://u:pw@h:1/")).Message);
    }

    static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    string AssertError(string[] args, string message)
    {
        var (exit, _, error) = Phi.Run(_dir.Path, args);
        Assert.True(exit == 1, error);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.DoesNotContain("   at ", error); // a message, not a stack trace
        return error;
    }
}
