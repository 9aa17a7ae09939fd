using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Retrieval;

/// <summary>
/// A companion embedding model: ingested chunks get its vectors too, hybrid search's vector evidence becomes the mean
/// of both models' cosines (with <see cref="HybridFusion.TwoModels"/>' weights), vector search stays the main model's,
/// and a store without the companion's vectors is searched by the main model alone until an ingest adds them.
/// </summary>
public sealed class DenseCompanionTests : IDisposable
{
    static readonly string[] Topics = ["cats purr and sleep all day", "rust borrow checker and lifetimes", "volcano basalt lava flows",
        "heron wading in shallow water", "kites need wind and string"];

    readonly TempDirectory _dir = new();
    readonly HashingEmbedder _main = new(64, "main");
    readonly HashingEmbedder _second = new(48, "second");

    public DenseCompanionTests()
    {
        for (int i = 0; i < Topics.Length; i++) _dir.Write($"docs/{i}.txt", Topics[i]);
    }

    public void Dispose() => _dir.Dispose();

    DenseCompanion Companion(string prefix = "query: ") => new(_second, prefix);

    Task<IngestReport> Ingest(SqliteRagStore store, DenseCompanion? companion) =>
        new Ingestor(store, new Chunker(64, 8), _main, companion: companion).IngestAsync(Ingestor.FindFiles([_dir.File("docs")]), [_dir.File("docs")]);

    [Fact]
    public async Task Ingest_stores_the_companions_unit_vectors_and_records_its_model()
    {
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await Ingest(store, Companion());

        var chunks = store.SearchLexical(string.Join(' ', Topics), 10);
        var vectors = store.CompanionVectors(chunks.Select(c => c.ChunkId).ToList());
        Assert.Equal(Topics.Length, vectors.Count);
        foreach (var chunk in chunks)
        {
            var expected = _second.Embed(chunk.Text);
            float norm = MathF.Sqrt(expected.Sum(x => x * x));
            Assert.Equal(expected.Select(x => x / norm), vectors[chunk.ChunkId], (a, b) => MathF.Abs(a - b) < 1e-6f);
        }
        Assert.Equal("second", store.CompanionModel());
    }

    [Fact]
    public async Task Hybrid_fuses_the_mean_of_both_cosines_and_vector_search_stays_the_main_models()
    {
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await Ingest(store, Companion());
        const string query = "a heron in the water, or lava";
        var retriever = new Retriever(store, _main, Companion());

        var hybrid = await retriever.SearchAsync(query, 5, RetrievalMode.Hybrid);
        var vector = await retriever.SearchAsync(query, 5, RetrievalMode.Vector);

        var all = store.SearchLexical(string.Join(' ', Topics), 10);
        float Cosine(float[] q, float[] v) => q.Zip(v, (a, b) => a * b).Sum() / MathF.Sqrt(q.Sum(x => x * x) * v.Sum(x => x * x));
        var mean = all.Select(c => (c.ChunkId, (Cosine(_main.Embed(query), _main.Embed(c.Text)) + Cosine(_second.Embed("query: " + query), _second.Embed(c.Text))) / 2)).ToList();
        var expected = HybridFusion.Fuse(query, store.SearchLexical(query, 50), mean, HybridFusion.TwoModels);
        Assert.Equal(expected.Select(e => e.Id), hybrid.Select(h => h.ChunkId));
        Assert.Equal(expected.Select(e => e.Score), hybrid.Select(h => h.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        var mainAlone = await new Retriever(store, _main).SearchAsync(query, 5, RetrievalMode.Vector);
        Assert.Equal(mainAlone.Select(h => h.ChunkId), vector.Select(h => h.ChunkId));
    }

    [Fact]
    public async Task A_store_without_companion_vectors_is_searched_by_the_main_model_until_an_ingest_adds_them()
    {
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await Ingest(store, companion: null);
        const string query = "a heron in the water, or lava";

        var withCompanion = await new Retriever(store, _main, Companion()).SearchAsync(query, 5, RetrievalMode.Hybrid);
        var mainAlone = await new Retriever(store, _main).SearchAsync(query, 5, RetrievalMode.Hybrid);
        Assert.Equal(mainAlone, withCompanion);

        var report = await Ingest(store, Companion());
        Assert.Equal((0, Topics.Length), (report.Added, report.Updated));          // every file re-embedded, by both
        var ids = store.SearchLexical(string.Join(' ', Topics), 10).Select(c => c.ChunkId).ToList();
        Assert.Equal(Topics.Length, store.CompanionVectors(ids).Count);
        Assert.Equal(Topics.Length, (await Ingest(store, Companion())).Unchanged);   // and then left alone
    }

    [Fact]
    public async Task Another_companion_model_is_refused_at_ingest()
    {
        using var store = SqliteRagStore.Open(_dir.File("rag.db"), create: true);
        await Ingest(store, Companion());
        var other = new DenseCompanion(new HashingEmbedder(48, "third"), "");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => Ingest(store, other));
        Assert.Contains("'second', not 'third'", error.Message);
    }
}
