using Microsoft.Data.Sqlite;
using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Storage;

public sealed class SqliteRagStoreTests : IDisposable
{
    readonly TempDirectory _dir = new();
    string Db => _dir.File("rag.db");
    string Docs => Path.Combine(_dir.Path, "docs");

    public void Dispose() => _dir.Dispose();

    void WriteCorpus()
    {
        _dir.Write("docs/cats.md", "# Cats\n\nCats purr when content and sleep most of the day.\n\n## Food\n\nCats need taurine in their diet.\n");
        _dir.Write("docs/rust.txt", "Rust prevents data races at compile time with its borrow checker.\n\nCargo builds Rust projects.");
        _dir.Write("docs/page.html", "<html><body><h1>Volcanoes</h1><p>Basalt lava flows are runny.</p><script>taurine()</script></body></html>");
        _dir.Write("docs/notes.jsonl", "{\"text\": \"The heron waits motionless in shallow water.\"}\n");
        _dir.Write("docs/code.py", "def fibonacci(n):\n    return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)\n");
        File.WriteAllBytes(Path.Combine(Docs, "image.png"), [0x89, 0x50, 0x4E, 0x47]);
    }

    static async Task<IngestReport> Ingest(IRagStore store, params string[] paths) =>
        await new Ingestor(store, new Chunker(64, 8)).IngestAsync(Ingestor.FindFiles(paths));

    [Fact]
    public async Task Ingest_then_search_finds_each_format_by_its_words()
    {
        WriteCorpus();
        using var store = SqliteRagStore.Open(Db, create: true);
        var report = await Ingest(store, Docs);
        Assert.Equal(5, report.Added);
        Assert.Equal("image.png", Path.GetFileName(Assert.Single(report.Skipped).Path));

        Assert.EndsWith("cats.md", store.SearchLexical("what do cats need in their diet", 1)[0].Path);
        Assert.Equal("Cats > Food", store.SearchLexical("taurine", 5).Single().Heading); // the <script> text was not indexed
        Assert.EndsWith("rust.txt", store.SearchLexical("borrow checker", 1)[0].Path);
        Assert.EndsWith("page.html", store.SearchLexical("basalt lava", 1)[0].Path);
        Assert.EndsWith("notes.jsonl", store.SearchLexical("heron", 1)[0].Path);
        Assert.EndsWith("code.py", store.SearchLexical("fibonacci", 1)[0].Path);
        Assert.Empty(store.SearchLexical("zeppelin", 5));
        Assert.Empty(store.SearchLexical("?!", 5)); // no words, no FTS syntax error
        Assert.NotEmpty(store.SearchLexical("cats AND NEAR(\"purr\" OR", 5)); // FTS operators in a query are plain words
        store.CheckIntegrity();
    }

    [Fact]
    public async Task Re_ingesting_unchanged_files_writes_nothing()
    {
        WriteCorpus();
        using var store = SqliteRagStore.Open(Db, create: true);
        await Ingest(store, Docs);
        var before = store.Counts();
        var ids = store.SearchLexical("cats", 10).Select(c => c.ChunkId).Order().ToList();

        var again = await Ingest(store, Docs);
        Assert.Equal((0, 0, 5), (again.Added, again.Updated, again.Unchanged));
        Assert.Equal(before, store.Counts());
        Assert.Equal(before.Chunks, before.IndexedChunks);
        Assert.Equal(ids, store.SearchLexical("cats", 10).Select(c => c.ChunkId).Order().ToList()); // same rows, not rewritten
    }

    [Fact]
    public async Task A_changed_file_replaces_exactly_its_chunks()
    {
        WriteCorpus();
        using var store = SqliteRagStore.Open(Db, create: true);
        await Ingest(store, Docs);
        var rustChunks = store.SearchLexical("rust", 10).Select(c => c.ChunkId).ToList();
        var before = store.Counts();

        _dir.Write("docs/cats.md", "# Dogs now\n\nDogs bark at the mailman.\n");
        var report = await Ingest(store, Docs);
        Assert.Equal((0, 1, 4), (report.Added, report.Updated, report.Unchanged));

        Assert.Empty(store.SearchLexical("taurine purr", 10));
        Assert.EndsWith("cats.md", store.SearchLexical("mailman", 1).Single().Path);
        Assert.Equal(rustChunks, store.SearchLexical("rust", 10).Select(c => c.ChunkId).ToList());
        var after = store.Counts();
        Assert.Equal(before.Documents, after.Documents);
        Assert.Equal(before.Chunks - 2 + 1, after.Chunks); // cats.md had two sections, now one
        Assert.Equal(after.Chunks, after.IndexedChunks);
        store.CheckIntegrity();
    }

    [Fact]
    public void A_database_that_is_not_ours_is_refused_and_left_untouched()
    {
        using (var other = new SqliteConnection($"Data Source={Db};Pooling=false"))
        {
            other.Open();
            using var command = other.CreateCommand();
            command.CommandText = "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)";
            command.ExecuteNonQuery();
        }
        var bytes = File.ReadAllBytes(Db);
        var e = Assert.Throws<RagStoreException>(() => SqliteRagStore.Open(Db, create: true));
        Assert.Contains("not a PhiSharp RAG store", e.Message);
        Assert.Equal(bytes, File.ReadAllBytes(Db));

        File.WriteAllText(Db, "just some text, definitely not SQLite, but long enough to have a header of a hundred bytes or so ......");
        Assert.Contains("is not a SQLite database", Assert.Throws<RagStoreException>(() => SqliteRagStore.Open(Db, create: true)).Message);
    }

    [Fact]
    public void Searching_a_missing_database_says_how_to_build_one()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SqliteRagStore.Open(Db, create: false));
        Assert.Contains("phi rag ingest", e.Message);
        Assert.False(File.Exists(Db));
    }

    [Fact]
    public async Task Bad_input_gives_clear_messages()
    {
        Directory.CreateDirectory(Path.Combine(_dir.Path, "empty"));
        Assert.Contains("no files found", Assert.Throws<ArgumentException>(() => Ingestor.FindFiles([Path.Combine(_dir.Path, "empty")])).Message);
        Assert.Contains("no such file or folder", Assert.Throws<FileNotFoundException>(() => Ingestor.FindFiles([Path.Combine(_dir.Path, "nope")])).Message);

        WriteCorpus();
        // An unreadable file: a dangling link lists as a file but cannot be opened (chmod would not stop root).
        File.CreateSymbolicLink(Path.Combine(Docs, "gone.txt"), Path.Combine(_dir.Path, "missing-target.txt"));
        using (var huge = File.Create(Path.Combine(Docs, "huge.log"))) huge.SetLength(DocumentReader.MaxFileBytes + 1); // sparse: never read
        using var store = SqliteRagStore.Open(Db, create: true);
        var report = await Ingest(store, Docs);
        Assert.Equal(5, report.Added);
        Assert.StartsWith("unreadable: ", report.Skipped.Single(s => s.Path.EndsWith("gone.txt")).Reason);
        Assert.Equal("larger than 16 MB", report.Skipped.Single(s => s.Path.EndsWith("huge.log")).Reason);

        var query = string.Concat(Enumerable.Repeat("cats purr ", 10_240)); // 100 KB
        Assert.Contains("the limit is 4,096", Assert.Throws<ArgumentException>(() => store.SearchLexical(query, 5)).Message);
    }
}
