using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Ingestion;

/// <summary>What a later ingest does to what an earlier one stored: vectors added, files gone, another model.</summary>
public sealed class IngestorMaintenanceTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Docs => _dir.File("docs");

    async Task<IngestReport> Ingest(IRagStore store, HashingEmbedder? embedder = null) =>
        await new Ingestor(store, new Chunker(64, 8), embedder).IngestAsync(Ingestor.FindFiles([Docs]), [Docs]);

    [Fact]
    public async Task Files_ingested_without_vectors_get_them_when_a_model_is_given()
    {
        _dir.Write("docs/a.txt", "cats purr");
        _dir.Write("docs/b.txt", "volcano basalt lava");
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await Ingest(store);
        Assert.Equal(0, store.Counts().Vectors);

        var report = await Ingest(store, new HashingEmbedder());
        Assert.Equal((0, 2, 0), (report.Added, report.Updated, report.Unchanged));
        Assert.Equal(new StoreCounts(2, 2, 2, 2), store.Counts());
        Assert.Equal("hashing", store.EmbeddingModel());
        var again = await Ingest(store, new HashingEmbedder());
        Assert.Equal((0, 0, 2), (again.Added, again.Updated, again.Unchanged));
    }

    [Fact]
    public async Task The_first_ingest_with_a_model_gives_vectors_to_stored_documents_it_was_not_given()
    {
        _dir.Write("docs/a.txt", "cats purr");
        string elsewhere = _dir.Write("notes/b.txt", "volcano basalt lava");
        string gone = _dir.Write("notes/c.txt", "heron shallow water");
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await new Ingestor(store, new Chunker(64, 8)).IngestAsync(Ingestor.FindFiles([Docs, _dir.File("notes")]));
        File.Delete(gone);

        var report = await Ingest(store, new HashingEmbedder());   // only docs/ named

        Assert.Equal((0, 2, 0), (report.Added, report.Updated, report.Unchanged));
        Assert.False(store.LacksVectors(elsewhere));
        Assert.Equal([gone], store.DocumentsLackingVectors());   // its file is gone: kept, not re-read
    }

    [Fact]
    public async Task Another_model_or_none_is_refused_once_vectors_are_stored()
    {
        _dir.Write("docs/a.txt", "cats purr");
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await Ingest(store, new HashingEmbedder(modelId: "model-a"));

        _dir.Write("docs/b.txt", "dogs bark");
        var other = await Assert.ThrowsAsync<ArgumentException>(() => Ingest(store, new HashingEmbedder(modelId: "model-b")));
        Assert.Contains("embedded with 'model-a', not 'model-b'", other.Message);
        var none = await Assert.ThrowsAsync<ArgumentException>(() => Ingest(store));
        Assert.Contains("--embed-model", none.Message);
        Assert.Null(store.DocumentHash(_dir.File("docs/b.txt"))); // nothing was written

        var search = await Assert.ThrowsAsync<ArgumentException>(() =>
            new Retriever(store, new HashingEmbedder(modelId: "model-b")).SearchAsync("cats", 1, RetrievalMode.Vector));
        Assert.Contains("'model-a'", search.Message);
        Assert.NotEmpty(await new Retriever(store, new HashingEmbedder(modelId: "model-a")).SearchAsync("cats", 1, RetrievalMode.Vector));
        Assert.NotEmpty(await new Retriever(store).SearchAsync("cats", 1)); // lexical search needs no model
    }

    [Fact]
    public async Task Documents_of_deleted_files_are_removed_only_under_the_given_folders()
    {
        _dir.Write("docs/a.txt", "cats purr");
        _dir.Write("docs/sub/b.txt", "volcano basalt lava");
        _dir.Write("docs-old/c.txt", "heron shallow water");
        _dir.Write("docs2/d.txt", "kites wind string");
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await new Ingestor(store, new Chunker(64, 8)).IngestAsync(Ingestor.FindFiles([Docs, _dir.File("docs-old"), _dir.File("docs2")]));
        Assert.Equal(4, store.Counts().Documents);

        File.Delete(_dir.File("docs/sub/b.txt"));
        File.Delete(_dir.File("docs-old/c.txt")); // "docs-old" starts with "docs" but is not under it
        var report = await Ingest(store);
        Assert.Equal((1, 1), (report.Removed, report.Unchanged));
        Assert.Empty(await new Retriever(store).SearchAsync("basalt", 5));
        Assert.NotNull(store.DocumentHash(_dir.File("docs-old/c.txt")));
        Assert.NotNull(store.DocumentHash(_dir.File("docs2/d.txt")));
        Assert.Equal(new StoreCounts(3, 3, 3, 0), store.Counts());
        store.CheckIntegrity();
    }
}
