using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Retrieval;

public sealed class VectorSearchTests
{
    // Lengths around every tier's width (16/8/4 floats, 64/32/16 bytes) so that bodies and tails are both run.
    public static TheoryData<int> Lengths => new() { 1, 3, 4, 7, 15, 16, 17, 31, 33, 63, 64, 65, 130, 384 };

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Every_float_tier_matches_a_double_reference(int n)
    {
        var rng = new Random(n);
        var a = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var b = Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        double expected = 0;
        for (int i = 0; i < n; i++) expected += (double)a[i] * b[i];
        // float32 summation in a different order: error grows like n·ε·max|aᵢbᵢ|; 1e-5·n is a loose bound for |x| ≤ 1.
        double tolerance = 1e-5 * n;
        Assert.Equal(expected, VectorMath.DotFloat512(a, b), tolerance);
        Assert.Equal(expected, VectorMath.DotFloat256(a, b), tolerance);
        Assert.Equal(expected, VectorMath.DotFloat128(a, b), tolerance);
        Assert.Equal(expected, VectorMath.DotFloatScalar(a, b, 0, 0), tolerance);
        Assert.Equal(expected, VectorMath.Dot(a, b), tolerance);
    }

    [Theory]
    [MemberData(nameof(Lengths))]
    public void Every_int8_tier_is_exact_including_the_extremes(int n)
    {
        var rng = new Random(n);
        var a = Enumerable.Range(0, n).Select(i => i % 5 == 0 ? sbyte.MinValue : (sbyte)rng.Next(-128, 128)).ToArray();
        var b = Enumerable.Range(0, n).Select(i => i % 5 == 0 ? sbyte.MinValue : (sbyte)rng.Next(-128, 128)).ToArray();
        int expected = 0;
        for (int i = 0; i < n; i++) expected += a[i] * b[i];
        Assert.Equal(expected, VectorMath.DotInt8_512(a, b));
        Assert.Equal(expected, VectorMath.DotInt8_256(a, b));
        Assert.Equal(expected, VectorMath.DotInt8_128(a, b));
        Assert.Equal(expected, VectorMath.DotInt8Scalar(a, b, 0, 0));
        Assert.Equal(expected, VectorMath.Dot(a, b));
    }

    [Theory]
    [InlineData(VectorEncoding.Float32)]
    [InlineData(VectorEncoding.Int8)]
    public async Task Vector_and_hybrid_search_find_the_document_sharing_the_words(VectorEncoding encoding)
    {
        using var dir = new TempDirectory();
        var topics = new[] { "cats purr and sleep", "rust borrow checker", "volcano basalt lava", "heron shallow water", "kites wind string" };
        for (int i = 0; i < topics.Length; i++) dir.Write($"docs/{i}.txt", topics[i]);
        var embedder = new HashingEmbedder();
        using var store = SqliteRagStore.Open(dir.File("rag.db"), create: true);
        await new Ingestor(store, new Chunker(64, 8), embedder, encoding).IngestAsync(Ingestor.FindFiles([dir.File("docs")]));
        Assert.Equal(5, store.Counts().Vectors);

        var retriever = new Retriever(store, embedder);
        Assert.Equal(RetrievalMode.Hybrid, retriever.DefaultMode);
        foreach (var mode in new[] { RetrievalMode.Vector, RetrievalMode.Hybrid, RetrievalMode.Lexical })
        {
            var hits = await retriever.SearchAsync("basalt lava", 3, mode);
            Assert.EndsWith("2.txt", hits[0].Path);
            Assert.True(hits.Count <= 3);
        }
        var vector = await retriever.SearchAsync("volcano basalt lava", 1, RetrievalMode.Vector);
        // Identical word bags: cosine 1 (int8 rounding costs at most ~1%).
        Assert.Equal(1.0, vector[0].Score, encoding == VectorEncoding.Int8 ? 0.01 : 1e-6);
    }

    [Fact]
    public async Task Vector_search_without_an_embedder_or_vectors_says_why()
    {
        using var dir = new TempDirectory();
        dir.Write("docs/a.txt", "cats purr");
        using var store = SqliteRagStore.Open(dir.File("rag.db"), create: true);
        await new Ingestor(store, new Chunker(64, 8)).IngestAsync(Ingestor.FindFiles([dir.File("docs")]));
        await Assert.ThrowsAsync<ArgumentException>(() => new Retriever(store).SearchAsync("cats", 3, RetrievalMode.Hybrid));
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => new Retriever(store, new HashingEmbedder()).SearchAsync("cats", 3));
        Assert.Contains("without an embedding model", e.Message);
    }
}
