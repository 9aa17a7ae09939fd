using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Rag.Tests.Retrieval;

/// <summary>Hybrid fusion weighs each ranking's normalised evidence, and a full-text match counts as much as the
/// query it covers.</summary>
public class HybridFusionTests
{
    static RetrievedChunk Lexical(long id, string text, double score) => new(id, $"{id}.txt", 0, null, text, score);

    [Fact]
    public void Scores_are_the_weighted_sum_of_min_max_cosine_and_coverage_weighted_full_text_evidence()
    {
        // Query words: octopus, colour, skin. Chunk 1 has all three and the best full-text score; chunk 2 has one
        // of them ("skin") and half that score; chunk 3 is only in the vector ranking.
        var lexical = new[] { Lexical(1, "The octopus changes colour with its skin.", 8), Lexical(2, "Vitamin D is made in the skin.", 4) };
        var vector = new (long, float)[] { (3, 0.9f), (1, 0.5f), (2, 0.1f) };

        var fused = HybridFusion.Fuse("octopus colour skin", lexical, vector).ToDictionary(f => f.Id, f => f.Score);

        Assert.Equal(0.5 * 1.0, fused[3], 1e-6);                              // best cosine, no full-text match
        Assert.Equal(0.5 * 0.5 + 0.5 * 1.0 * 1.0, fused[1], 1e-6);            // cosine halfway; whole query covered
        Assert.Equal(0.5 * 0.0 + 0.5 * 0.5 * (1.0 / 9), fused[2], 1e-6);      // worst cosine; half the score, 1/3 covered, squared
    }

    [Fact]
    public void A_full_text_match_on_one_word_of_a_paraphrased_question_does_not_outrank_the_vectors_clear_choice()
    {
        // "What tentacled animal shifts its hue in an instant?" shares only "instant" with a recipe.
        var lexical = new[] { Lexical(2, "Instant noodles cook in three minutes.", 3.1) };
        var vector = new (long, float)[] { (1, 0.62f), (2, 0.30f), (3, 0.25f), (4, 0.1f) };

        var fused = HybridFusion.Fuse("What tentacled animal shifts its hue in an instant?", lexical, vector);

        Assert.Equal(1L, fused[0].Id);
    }

    [Fact]
    public void A_chunk_holding_every_query_word_overtakes_a_slightly_closer_vector_neighbour()
    {
        var lexical = new[] { Lexical(2, "Voyager's golden record carries sounds of Earth.", 5.9), Lexical(5, "Git records history.", 2.4) };
        var vector = new (long, float)[] { (1, 0.16f), (3, 0.15f), (2, 0.13f), (4, 0.05f) };

        var fused = HybridFusion.Fuse("What is on the golden record?", lexical, vector);

        Assert.Equal(2L, fused[0].Id);
    }

    [Fact]
    public void Without_full_text_matches_the_vector_order_stands()
    {
        var vector = new (long, float)[] { (4, 0.7f), (9, 0.7f), (1, 0.2f) };

        var fused = HybridFusion.Fuse("anything at all", [], vector);

        Assert.Equal([4L, 9L, 1L], fused.Select(f => f.Id));   // equal cosines: the smaller id first
    }
}
