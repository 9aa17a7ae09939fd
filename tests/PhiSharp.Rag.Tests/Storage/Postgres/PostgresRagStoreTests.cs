using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Storage.Postgres;

/// <summary>The flows of <see cref="SqliteRagStoreTests"/> and the vector tests, against PostgreSQL (PGlite) with pgvector.</summary>
[Collection(PgliteCollection.Name)]
public sealed class PostgresRagStoreTests(PgliteServer server) : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly string _url = server.FreshDatabaseUrl();
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
        using var store = PostgresRagStore.Open(_url, create: true);
        var report = await Ingest(store, Docs);
        Assert.Equal(5, report.Added);
        Assert.Equal("image.png", Path.GetFileName(Assert.Single(report.Skipped).Path));

        Assert.EndsWith("cats.md", store.SearchLexical("what do cats need in their diet", 1)[0].Path);
        Assert.Equal("Cats > Food", store.SearchLexical("taurine", 5).Single().Heading); // the <script> text was not indexed
        Assert.EndsWith("rust.txt", store.SearchLexical("borrow checker", 1)[0].Path);
        Assert.EndsWith("page.html", store.SearchLexical("basalt lava", 1)[0].Path);
        Assert.EndsWith("notes.jsonl", store.SearchLexical("heron", 1)[0].Path);
        Assert.EndsWith("code.py", store.SearchLexical("fibonacci", 1)[0].Path);
        Assert.EndsWith("rust.txt", store.SearchLexical("checkers", 1)[0].Path); // English stemming
        Assert.Empty(store.SearchLexical("zeppelin", 5));
        Assert.Empty(store.SearchLexical("?!", 5));          // no words: no query at all
        Assert.Empty(store.SearchLexical("the and of", 5));  // only stop words: no tsquery syntax error
        Assert.NotEmpty(store.SearchLexical("cats' & !purr | (OR", 5)); // tsquery operators in a query are plain words
        var ranked = store.SearchLexical("cats purr taurine", 5);
        Assert.True(ranked.Zip(ranked.Skip(1)).All(p => p.First.Score >= p.Second.Score) && ranked[^1].Score > 0, "scores are positive, best first");
    }

    [Fact]
    public async Task Re_ingesting_unchanged_files_writes_nothing()
    {
        // PGlite takes one connection at a time: the store is closed while the test looks at the rows itself.
        const string IngestTimes = "SELECT string_agg(ingested_utc::text, ',' ORDER BY id) FROM documents";
        WriteCorpus();
        StoreCounts before;
        List<long> ids;
        using (var store = PostgresRagStore.Open(_url, create: true))
        {
            await Ingest(store, Docs);
            before = store.Counts();
            ids = store.SearchLexical("cats", 10).Select(c => c.ChunkId).Order().ToList();
        }
        var written = server.Admin(IngestTimes);

        using (var store = PostgresRagStore.Open(_url, create: true))
        {
            var again = await Ingest(store, Docs);
            Assert.Equal((0, 0, 5), (again.Added, again.Updated, again.Unchanged));
            Assert.Equal(before, store.Counts());
            Assert.Equal(before.Chunks, before.IndexedChunks);
            Assert.Equal(ids, store.SearchLexical("cats", 10).Select(c => c.ChunkId).Order().ToList()); // same rows, not rewritten
        }
        Assert.Equal(written, server.Admin(IngestTimes));
    }

    [Fact]
    public async Task A_changed_file_replaces_exactly_its_chunks()
    {
        WriteCorpus();
        using var store = PostgresRagStore.Open(_url, create: true);
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
    }

    [Fact]
    public void A_database_that_is_not_ours_is_refused_and_left_untouched()
    {
        server.Admin("CREATE TABLE documents(id serial PRIMARY KEY, title text); INSERT INTO documents(title) VALUES ('invoice')");
        var e = Assert.Throws<RagStoreException>(() => PostgresRagStore.Open(_url, create: true));
        Assert.Contains("not a PhiSharp RAG store", e.Message);
        Assert.Contains("documents", e.Message);
        Assert.Equal(false, server.Admin("SELECT to_regclass('rag_meta') IS NOT NULL OR to_regclass('chunks') IS NOT NULL"));
        Assert.Equal(1L, server.Admin("SELECT count(*) FROM documents"));

        var other = server.FreshDatabaseUrl();
        server.Admin("CREATE TABLE rag_meta(key text PRIMARY KEY, value text); INSERT INTO rag_meta VALUES ('format', 'someone-else')");
        Assert.Contains("format is 'someone-else'", Assert.Throws<RagStoreException>(() => PostgresRagStore.Open(other, create: true)).Message);
        Assert.Equal(false, server.Admin("SELECT to_regclass('documents') IS NOT NULL"));
    }

    [Fact]
    public void Opening_an_empty_database_to_search_says_how_to_build_one_and_creates_nothing()
    {
        var e = Assert.Throws<RagStoreException>(() => PostgresRagStore.Open(_url, create: false));
        Assert.Contains("phi rag ingest", e.Message);
        Assert.Equal(false, server.Admin("SELECT to_regclass('rag_meta') IS NOT NULL"));
    }

    [Theory]
    [InlineData(VectorEncoding.Float32)]
    [InlineData(VectorEncoding.Int8)]
    public async Task Vector_and_hybrid_search_find_the_document_sharing_the_words(VectorEncoding encoding)
    {
        var topics = new[] { "cats purr and sleep", "rust borrow checker", "volcano basalt lava", "heron shallow water", "kites wind string" };
        for (int i = 0; i < topics.Length; i++) _dir.Write($"docs/{i}.txt", topics[i]);
        var embedder = new HashingEmbedder();
        using (var writer = PostgresRagStore.Open(_url, create: true))
            await new Ingestor(writer, new Chunker(64, 8), embedder, encoding).IngestAsync(Ingestor.FindFiles([Docs]));
        Assert.Equal("64", server.Admin("SELECT value FROM rag_meta WHERE key = 'dimensions'"));
        Assert.Equal(1L, server.Admin("SELECT count(*) FROM pg_indexes WHERE indexname = 'chunks_embedding' AND indexdef LIKE '%hnsw%vector_cosine_ops%'"));

        using var store = PostgresRagStore.Open(_url, create: false);
        Assert.Equal(5, store.Counts().Vectors);

        var retriever = new Retriever(store, embedder);
        foreach (var mode in new[] { RetrievalMode.Vector, RetrievalMode.Hybrid, RetrievalMode.Lexical })
        {
            var hits = await retriever.SearchAsync("basalt lava", 3, mode);
            Assert.EndsWith("2.txt", hits[0].Path);
            Assert.True(hits.Count <= 3);
        }
        var vector = await retriever.SearchAsync("volcano basalt lava", 5, RetrievalMode.Vector);
        Assert.Equal(5, vector.Count);
        // Identical word bags: cosine 1 (int8 rounding costs at most ~1%; pgvector computes in float32 → 1e-6).
        Assert.Equal(1.0, vector[0].Score, encoding == VectorEncoding.Int8 ? 0.01 : 1e-6);
        // The others share no word with the query; the hashing embedder can still collide words, so only bound them.
        Assert.All(vector.Skip(1), h => Assert.True(h.Score < 0.5, $"{h.Path}: {h.Score}"));

        // The SQLite store's exact scan over the same vectors must rank and score alike (an independent computation).
        using var sqlite = SqliteRagStore.Open(_dir.File("same.db"), create: true);
        await new Ingestor(sqlite, new Chunker(64, 8), embedder, encoding).IngestAsync(Ingestor.FindFiles([Docs]));
        var query = embedder.Embed("volcano basalt lava heron");
        var exact = sqlite.SearchVectors(query, 5);
        var pg = store.SearchVectors(query, 5);
        Assert.Equal(exact.Select(h => h.Score), pg.Select(h => h.Score), (a, b) => Math.Abs(a - b) < 1e-5f); // float32 sums in another order

        // The vectors MMR compares chunks by are the stored ones, as SQLite returns them.
        static Dictionary<string, float[]> ByFile(IRagStore s, IReadOnlyList<long> ids)
        {
            var vectors = s.ChunkVectors(ids);
            return s.Chunks(ids).ToDictionary(c => Path.GetFileName(c.Path), c => vectors[c.ChunkId]);
        }
        var pgVectors = ByFile(store, pg.Select(h => h.ChunkId).ToList());
        var sqliteVectors = ByFile(sqlite, exact.Select(h => h.ChunkId).ToList());
        Assert.Equal(5, pgVectors.Count);
        foreach (var (file, stored) in sqliteVectors)
            Assert.Equal(stored, pgVectors[file], (a, b) => Math.Abs(a - b) < 1e-6f);
        Assert.Equal(3, (await retriever.SearchAsync("basalt lava", 3, RetrievalMode.Hybrid, mmrLambda: 0.5)).Count);
    }

    [Fact]
    public async Task Later_ingests_add_missing_vectors_remove_deleted_files_and_keep_to_one_model()
    {
        _dir.Write("docs/a.txt", "cats purr");
        _dir.Write("docs/b.txt", "volcano basalt lava");
        using var store = PostgresRagStore.Open(_url, create: true);
        async Task<IngestReport> Ingest(HashingEmbedder? embedder) =>
            await new Ingestor(store, new Chunker(64, 8), embedder).IngestAsync(Ingestor.FindFiles([Docs]), [Docs]);

        await Ingest(null);
        var embedded = await Ingest(new HashingEmbedder(modelId: "model-a"));
        Assert.Equal((0, 2), (embedded.Added, embedded.Updated));
        Assert.Equal(new StoreCounts(2, 2, 2, 2), store.Counts());
        Assert.Equal("model-a", store.EmbeddingModel());

        File.Delete(_dir.File("docs/b.txt"));
        var pruned = await Ingest(new HashingEmbedder(modelId: "model-a"));
        Assert.Equal((1, 1), (pruned.Removed, pruned.Unchanged));
        Assert.Equal(new StoreCounts(1, 1, 1, 1), store.Counts());

        await Assert.ThrowsAsync<ArgumentException>(() => Ingest(new HashingEmbedder(modelId: "model-b")));
        await Assert.ThrowsAsync<ArgumentException>(() => Ingest(null));
    }

    [Fact]
    public async Task Vectors_of_another_dimension_are_refused_and_the_file_is_not_written()
    {
        _dir.Write("docs/a.txt", "cats purr");
        using var store = PostgresRagStore.Open(_url, create: true);
        await new Ingestor(store, new Chunker(64, 8), new HashingEmbedder(64)).IngestAsync(Ingestor.FindFiles([Docs]));
        _dir.Write("docs/b.txt", "dogs bark");
        var e = await Assert.ThrowsAsync<RagStoreException>(() =>
            new Ingestor(store, new Chunker(64, 8), new HashingEmbedder(32)).IngestAsync(Ingestor.FindFiles([Docs])));
        Assert.Contains("64-dimensional", e.Message);
        Assert.Equal(new StoreCounts(1, 1, 1, 1), store.Counts());
        Assert.Contains("dimensions", Assert.Throws<ArgumentException>(() => store.SearchVectors(new float[32], 3)).Message);
    }

    [Fact]
    public async Task Vector_search_without_vectors_says_why()
    {
        _dir.Write("docs/a.txt", "cats purr");
        using var store = PostgresRagStore.Open(_url, create: true);
        await Ingest(store, Docs);
        Assert.Empty(store.SearchVectors(new float[64], 3));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new Retriever(store, new HashingEmbedder()).SearchAsync("cats", 3));
        Assert.Contains("without an embedding model", e.Message);
    }
}
