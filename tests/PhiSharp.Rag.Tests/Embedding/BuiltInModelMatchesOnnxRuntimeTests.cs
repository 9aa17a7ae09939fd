using PhiSharp.Rag.Embedding;

namespace PhiSharp.Rag.Tests.Embedding;

/// <summary>
/// The built-in embedder (the package's ONNX export converted in C# and run by PhiSharp's BERT encoder) gives the
/// vectors that ONNX Runtime computes from the same package's model.onnx, followed by sentence-transformers' mean
/// pooling over the attention mask and L2 normalisation: max |Δ| ≤ 1e-4 per component.
/// </summary>
public class BuiltInModelMatchesOnnxRuntimeTests(BuiltInModelFolder model) : IClassFixture<BuiltInModelFolder>
{
    const float Tolerance = 1e-4f;

    static readonly string LongText = string.Join(" ", Enumerable.Range(0, 120).Select(i =>
        $"Paragraph {i}: the octopus changes colour in a fraction of a second, and tidal pools hold anemones."));

    public static TheoryData<string> Texts =>
    [
        "hello world",
        "How do I install PhiSharp on Linux?",
        "Crème brûlée, naïve café — ÀÉÎÕÜ déjà vu!",
        "北京 is the capital of China; 東京 of Japan.",
        "x = f(a, b) + 3.14159 * r^2 // comment #tag @user https://example.com/a?b=c",
        "supercalifragilisticexpialidocious antidisestablishmentarianism",
        LongText,
    ];

    [Theory]
    [MemberData(nameof(Texts))]
    public void Vectors_equal_onnx_runtime_on_the_packages_own_model(string text)
    {
        int[] ids = model.Embedder.Tokenize(text);
        float[] expected = OnnxRuntimeReference.Embed(BuiltInPackage.MiniLM, ids);
        float[] actual = model.Embedder.Embed(text);

        Assert.Equal(expected.Length, actual.Length);
        float worst = expected.Zip(actual, (e, a) => MathF.Abs(e - a)).Max();
        Assert.True(worst <= Tolerance, $"max |Δ| {worst:E2} over {ids.Length} tokens");
    }

    [Fact]
    public void Long_texts_are_cut_to_256_tokens_as_sentence_transformers_does()
    {
        int[] whole = model.Embedder.Tokenizer.Encode(LongText, addSpecialTokens: true, parseSpecial: true);
        int[] used = model.Embedder.Tokenize(LongText);

        Assert.True(whole.Length > 512, $"{whole.Length} tokens");
        Assert.Equal(BuiltInEmbeddingModel.MaxTokens, used.Length);
        Assert.Equal(whole[..255], used[..255]);
        Assert.Equal(102, used[^1]);   // [SEP] ends the cut sequence
    }

    [Fact]
    public void The_vocabulary_is_bert_base_uncased()
    {
        Assert.Equal([101, 7592, 2088, 102], model.Embedder.Tokenize("Hello WORLD"));
        Assert.Equal(BuiltInEmbeddingModel.ModelId, model.Embedder.Metadata.DefaultModelId);
        Assert.Equal(384, model.Embedder.Metadata.DefaultModelDimensions);
    }
}
