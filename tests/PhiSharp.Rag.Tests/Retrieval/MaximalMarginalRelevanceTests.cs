using PhiSharp.Rag.Chunking;
using PhiSharp.Rag.Ingestion;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Retrieval;

public sealed class MaximalMarginalRelevanceTests
{
    // Candidates 0 and 1 are near-copies (similarity 0.95); 2 is different and a little less relevant.
    static readonly double[] Scores = [0.9, 0.88, 0.7];
    static double Similarity(int a, int b) => (a, b) is (0, 1) or (1, 0) ? 0.95 : 0.1;

    [Fact]
    public void Lambda_one_keeps_the_ranking()
    {
        Assert.Equal([0, 1, 2], MaximalMarginalRelevance.Select(Scores, Similarity, 3, lambda: 1));
    }

    [Fact]
    public void A_near_copy_gives_way_to_something_new()
    {
        // Relevance as a fraction of the best: 1, 0.978, 0.778. After 0, candidate 1 scores 0.5·0.978 − 0.5·0.95 = 0.014
        // and candidate 2 scores 0.5·0.778 − 0.5·0.1 = 0.339.
        Assert.Equal([0, 2], MaximalMarginalRelevance.Select(Scores, Similarity, 2, lambda: 0.5));
    }

    [Fact]
    public void Lambda_outside_zero_to_one_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MaximalMarginalRelevance.Select(Scores, Similarity, 2, lambda: 1.5));
    }

    [Fact]
    public void Jaccard_is_shared_words_over_all_words()
    {
        Assert.Equal(2.0 / 4, MaximalMarginalRelevance.Jaccard(new HashSet<string> { "a", "b", "c" }, new HashSet<string> { "b", "c", "d" }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Retriever_skips_duplicated_documents_with_mmr(bool withVectors)
    {
        // Two copies of the lava note rank first and second without MMR; with it the second place goes elsewhere.
        using var dir = new TempDirectory();
        dir.Write("docs/lava1.txt", "volcano basalt lava flows cool into rock");
        dir.Write("docs/lava2.txt", "volcano basalt lava flows cool into rock");
        dir.Write("docs/ash.txt", "volcano ash clouds ground flights");
        dir.Write("docs/cats.txt", "cats purr and sleep");
        var embedder = withVectors ? new HashingEmbedder() : null;
        using var store = SqliteRagStore.Open(dir.File("rag.db"), create: true);
        await new Ingestor(store, new Chunker(64, 8), embedder).IngestAsync(Ingestor.FindFiles([dir.File("docs")]));
        var retriever = new Retriever(store, embedder);

        var plain = await retriever.SearchAsync("volcano basalt lava", 2);
        Assert.Equal(["lava1.txt", "lava2.txt"], plain.Select(h => Path.GetFileName(h.Path)).Order());
        var diverse = await retriever.SearchAsync("volcano basalt lava", 2, mmrLambda: 0.5);
        Assert.StartsWith("lava", Path.GetFileName(diverse[0].Path));
        Assert.Equal("ash.txt", Path.GetFileName(diverse[1].Path));
        await Assert.ThrowsAsync<ArgumentException>(() => retriever.SearchAsync("volcano", 2, mmrLambda: -0.1));
    }
}
